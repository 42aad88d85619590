/* The special shim entries for fork and vfork (docs/architecture.md, the
 * shim entry ABI), and their LSTAR variants (platforms/qemu/entry.S). As
 * clone's (posix-shim/thread/clone.S): the caller's registers become a
 * struct shim_regs on the stack, from which process_fork_c starts the
 * child; the parent gets the child's pid, the child 0. These strong
 * definitions replace the platform's weak ones when this module is linked.
 * clone without CLONE_VM reaches the same code through the thread
 * module's clone entries (thread_clone_c -> process_clone). */
#include "shim/capture.h"

    .intel_syntax noprefix
    .text

/* which: bit 0 = vfork, bit 1 = from the LSTAR entry. */
    .globl shim_entry_special_fork
    .type shim_entry_special_fork, @function
shim_entry_special_fork:
    CAPTURE_AND_CALL process_fork_c, 0
    .size shim_entry_special_fork, . - shim_entry_special_fork

    .globl shim_entry_special_vfork
    .type shim_entry_special_vfork, @function
shim_entry_special_vfork:
    CAPTURE_AND_CALL process_fork_c, 1
    .size shim_entry_special_vfork, . - shim_entry_special_vfork

    .globl syscall_lstar_fork
    .type syscall_lstar_fork, @function
syscall_lstar_fork:
    LSTAR_CAPTURE_AND_CALL process_fork_c, 2
    .size syscall_lstar_fork, . - syscall_lstar_fork

    .globl syscall_lstar_vfork
    .type syscall_lstar_vfork, @function
syscall_lstar_vfork:
    LSTAR_CAPTURE_AND_CALL process_fork_c, 3
    .size syscall_lstar_vfork, . - syscall_lstar_vfork

    .section .note.GNU-stack, "", @progbits

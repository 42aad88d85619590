/* The special shim entries for clone and clone3 (docs/architecture.md, the
 * shim entry ABI). Reached by `call` from a rewritten site (directly, or
 * through shim_entry_generic), so [rsp] is the return address into the
 * trampoline and every general register but rcx/r11 is the app's. The
 * entry saves them all as a struct shim_regs (shim/regs.h) whose rip is
 * that return address; thread_clone_c makes the child from a copy (rax = 0,
 * rsp = its new stack - SHIM_TRAMPOLINE_SKIP, which the trampoline's
 * `lea rsp, [rsp+128]` undoes) and returns the parent's result. These
 * strong definitions replace the platform's weak ones (platforms/qemu/entry.S)
 * when this module is linked.
 *
 * The pushes build struct shim_regs from its last field (ss) down to its
 * first (r15); the offsets in comments are shim/regs.h's. */
#include "shim/capture.h"

    .intel_syntax noprefix
    .text

    .globl syscall_lstar_clone
    .type syscall_lstar_clone, @function
syscall_lstar_clone:
    LSTAR_CAPTURE_AND_CALL thread_clone_c, 2
    .size syscall_lstar_clone, . - syscall_lstar_clone

    .globl syscall_lstar_clone3
    .type syscall_lstar_clone3, @function
syscall_lstar_clone3:
    LSTAR_CAPTURE_AND_CALL thread_clone_c, 3
    .size syscall_lstar_clone3, . - syscall_lstar_clone3

    .globl shim_entry_special_clone
    .type shim_entry_special_clone, @function
shim_entry_special_clone:
    CAPTURE_AND_CALL thread_clone_c, 0
    .size shim_entry_special_clone, . - shim_entry_special_clone

    .globl shim_entry_special_clone3
    .type shim_entry_special_clone3, @function
shim_entry_special_clone3:
    CAPTURE_AND_CALL thread_clone_c, 1
    .size shim_entry_special_clone3, . - shim_entry_special_clone3

    .section .note.GNU-stack, "", @progbits

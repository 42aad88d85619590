/* execve's platform side: what the process module's exec
 * (posix-shim/process/exec.c) asks of the unikernel's loader
 * (platforms/qemu/loader.c), which also loads the first app at boot.
 *
 * exec.c does everything that can fail with the process unchanged first
 * (argv/envp copied in, the file resolved and read whole into kernel
 * memory, #! followed, the ELF and its PT_INTERP checked with
 * platform_exec_check), then passes the point of no return on the
 * thread's kernel stack (sched_call_on_kstack: the app's stack, where the
 * shim runs for a rewritten site, goes away with the old address space),
 * gets a new empty lower half (sched_proc_exec) and has the loader map the
 * in-memory copies there (platform_exec_load). */
#ifndef SHIM_EXEC_H
#define SHIM_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shim/regs.h"

#pragma GCC visibility push(hidden)

/* An ELF file read whole into kernel memory, and its path (for the
 * kernel's messages and the memory areas' names). */
struct exec_object {
    const void *data;
    size_t size;
    const char *path;
};

/* The new program's argv and environment (kernel strings) and AT_EXECFN. */
struct exec_args {
    int argc, envc;
    const char *const *argv;
    const char *const *envp;
    const char *execfn;
};

/* Before the point of no return: whether data is an ELF the loader can run
 * as a program (interp false) or as a program's interpreter (ld.so).
 * 0, or -ENOEXEC (not a loadable x86_64 ELF executable) or, for an
 * interpreter, -ELIBBAD; *why then says what is wrong. *interp_path gets
 * the program's PT_INTERP string (inside data), or NULL. */
int platform_exec_check(const void *data, size_t size, bool interp, const char **interp_path,
                        const char **why);

/* Past the point of no return, in the current process's new and empty
 * lower half: maps exe and its interpreter (NULL: none) with W^X, at
 * random bases as at boot, fills their PortApp slot tables, tells the mm
 * module about the areas and the program break, maps the stack with argv,
 * envp and the auxv, and resets the vector registers to a new program's.
 * *entry gets the registers to start with (regs_resume): rip and rsp set,
 * every other general register zero, interrupts on, as Linux starts a
 * program. 0, or -ENOMEM / -ENOEXEC (the caller then kills the process). */
int platform_exec_load(const struct exec_object *exe, const struct exec_object *interp,
                       const struct exec_args *args, struct shim_regs *entry);

#pragma GCC visibility pop

#endif

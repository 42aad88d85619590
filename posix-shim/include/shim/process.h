/* What the process module (posix-shim/process) offers the other modules:
 * the process table (pid, parent, process group, session), exit and the
 * wait status, stop/continue, and the hooks signal delivery needs. A
 * module calls these only under `#if SHIM_HAVE_process`; without the
 * module there is one process, pid 1, and the callers keep their
 * single-process behaviour.
 *
 * Identity: a process is a struct proc_ctx (shim/sched.h); its pid is the
 * tid of the thread it started with (1 for the app), so getpid() in any
 * thread and gettid() in the first thread agree, as on Linux. */
#ifndef SHIM_PROCESS_H
#define SHIM_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include "shim/sched.h"

#pragma GCC visibility push(hidden)

/* Wait status words, as Linux encodes them (wait4's *wstatus). */
#define PROCESS_EXITED(code) (((code) & 0xff) << 8)
#define PROCESS_KILLED(sig, core) (((sig) & 0x7f) | ((core) ? 0x80 : 0))
#define PROCESS_STOPPED(sig) ((((sig) & 0xff) << 8) | 0x7f)
#define PROCESS_CONTINUED 0xffff

int process_pid(const struct proc_ctx *p);
int process_ppid(const struct proc_ctx *p);
int process_pgid(const struct proc_ctx *p);
int process_sid(const struct proc_ctx *p);
/* The live (not yet exited) process with this pid, or NULL. */
struct proc_ctx *process_find(int pid);
/* Whether pid is a zombie its parent has not reaped yet. */
bool process_is_zombie(int pid);
/* Iterate over live processes: p = NULL starts. */
struct proc_ctx *process_next(const struct proc_ctx *p);
/* The first process (pid 1): its exit ends the VM. */
bool process_is_init(const struct proc_ctx *p);

/* fork, vfork and clone without CLONE_THREAD: a new process from the
 * caller's registers r (captured by a special entry, shim/capture.h;
 * `lstar`: from the LSTAR entry, where r->rip/rsp are the app's own, else
 * from a rewritten site, where [r + 1] is the return into the trampoline),
 * with clone's flags and arguments (stack 0 = the caller's). Returns the
 * child's pid or -errno; the child returns 0 from the same call. */
long process_clone(const struct shim_regs *r, bool lstar, unsigned long flags, uint64_t stack,
                   uint64_t ptid, uint64_t ctid, uint64_t tls);
/* execve calls this once the caller's new image is committed: a vfork
 * parent waiting for its child goes on, and the name becomes `comm`. */
void process_exec_done(const char *comm);

/* setpgid and setsid for the calling process (Linux's rules and errno). */
long process_setpgid(int pid, int pgid);
long process_setsid(void);

/* The current process ends with wait status `wstatus` (PROCESS_EXITED or
 * PROCESS_KILLED): its other threads end, it becomes a zombie its parent
 * reaps with wait4 (SIGCHLD is sent), its children go to pid 1. For pid 1
 * the VM powers off with the run's exit code (code, or 128 + signal).
 * Never returns. */
_Noreturn void process_exit(int wstatus);

/* The current thread's process stops (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
 * by default): the parent is told (SIGCHLD CLD_STOPPED, wait with
 * WUNTRACED) and the call returns when SIGCONT (or SIGKILL) arrives. */
void process_stop_current(int sig);
/* SIGCONT for p: a stopped process continues (the parent sees
 * CLD_CONTINUED / WCONTINUED). */
void process_continue(struct proc_ctx *p);

/* A process's executable path and command line are the vfs's (per
 * process: vfs_set_exe_path, vfs_set_cmdline), set by the loader and by
 * execve. */
/* Its name (comm: prctl PR_SET_NAME, the exec'd file's base name); the
 * setter names the calling process (at most 15 bytes are kept). */
void process_set_comm(const char *name);
const char *process_comm(const struct proc_ctx *p);
/* 'R', 'S', 'T' or 'Z' (/proc/PID/stat). */
char process_state(const struct proc_ctx *p);

#pragma GCC visibility pop

#endif

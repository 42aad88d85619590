/* posix-shim/process: the process table, fork, wait and exit
 * (module.conf, docs/processes.md). SKELETON: single process until the
 * platform's process contexts land. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/process.h"

void process_init(void);
void process_init(void) {}

int process_pid(const struct proc_ctx *p) { (void)p; return 1; }
int process_ppid(const struct proc_ctx *p) { (void)p; return 0; }
int process_pgid(const struct proc_ctx *p) { (void)p; return 1; }
int process_sid(const struct proc_ctx *p) { (void)p; return 1; }
struct proc_ctx *process_find(int pid) { return pid == 1 ? sched_proc_current() : NULL; }
struct proc_ctx *process_next(const struct proc_ctx *p) { return p ? NULL : sched_proc_current(); }
bool process_is_init(const struct proc_ctx *p) { (void)p; return true; }
long process_setpgid(int pid, int pgid) { return ((pid == 0 || pid == 1) && (pgid == 0 || pgid == 1)) ? 0 : -ESRCH; }
long process_setsid(void) { return -EPERM; }

_Noreturn void process_exit(int wstatus)
{
    platform_abort((wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff);
}

void process_stop_current(int sig) { (void)sig; }
void process_continue(struct proc_ctx *p) { (void)p; }
const char *process_comm(const struct proc_ctx *p) { (void)p; return "app"; }
char process_state(const struct proc_ctx *p) { (void)p; return 'R'; }

SHIM_SYSCALL(fork) { return -ENOSYS; }
SHIM_SYSCALL(vfork) { return -ENOSYS; }
SHIM_SYSCALL(wait4) { return -ECHILD; }
SHIM_SYSCALL(waitid) { return -ECHILD; }

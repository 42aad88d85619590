/* The fake platform's controls (fake_platform.c). */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H
#include <stddef.h>
#include <stdint.h>
extern char fake_out[1 << 16];
extern size_t fake_out_len;
extern char fake_err[1 << 16];
extern size_t fake_err_len;
extern void (*fake_idle_hook)(void);
extern int fake_tty[3];
extern uint16_t fake_rows, fake_cols;
extern unsigned long fake_idle_calls;
extern long fake_pages_out;
void fake_console_input(const char *data, size_t len, int eof_after);
void fake_out_reset(void);
/* Fake process contexts (shim/sched.h's sched_proc_fork & co.): the test
 * plays each process by switching to it; exec and release run the hooks. */
struct proc_ctx;
void fake_proc_switch(struct proc_ctx *p);
int fake_proc_exec(void);
void fake_proc_release(struct proc_ctx *p);
extern int fake_fork_fail_at;   /* >= 0: that claim's fork hook "fails" */
#endif

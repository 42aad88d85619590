/* Offsets in struct sigcontext (the uc_mcontext of Linux's x86_64 signal
 * frame, defined in signal.c) that sigreturn.S's sig_enter_sync writes.
 * Usable from assembly; signal.c ties each to the struct with
 * _Static_assert. */
#ifndef SIGNAL_SIGFRAME_H
#define SIGNAL_SIGFRAME_H

#define SC_R12    32
#define SC_R13    40
#define SC_R14    48
#define SC_R15    56
#define SC_RBP    80
#define SC_RBX    88
#define SC_RAX    104
#define SC_RSP    120
#define SC_RIP    128
#define SC_EFLAGS 136

#endif

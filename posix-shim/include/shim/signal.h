/* What the signal module (posix-shim/signal) offers other modules. Callers
 * test `#if SHIM_HAVE_signal` (shim_syscalls.h): the module is optional. */
#ifndef SHIM_SIGNAL_H
#define SHIM_SIGNAL_H

#pragma GCC visibility push(hidden)

/* Queues SIGPIPE for the calling thread (a write to a pipe without
 * readers); it is delivered on the way back to the app. */
void shim_raise_sigpipe(void);

#pragma GCC visibility pop

#endif

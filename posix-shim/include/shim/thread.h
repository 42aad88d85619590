/* What the thread module (posix-shim/thread) offers other modules. Callers
 * test `#if SHIM_HAVE_thread` (shim_syscalls.h): the module is optional. */
#ifndef SHIM_THREAD_H
#define SHIM_THREAD_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* exit(2) of the calling thread: returns only for the last thread, and then
 * the process ends with it (proc's sys_exit). */
void shim_thread_exit(int code);

/* munmap of [addr, addr + len) (page aligned): when it covers the stack the
 * shim is running on (musl's detached threads free their own stack, then
 * exit), the unmap is done once the thread has left that stack and 1 is
 * returned; 0: unmap it now. */
int shim_thread_defer_unmap(uintptr_t addr, size_t len);

#pragma GCC visibility pop

#endif

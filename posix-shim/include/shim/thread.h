/* The thread module's interface (posix-shim/thread): what other modules
 * call of it. Weak, declared so once here: an image without the thread
 * module links, and callers check for NULL first. */
#ifndef SHIM_THREAD_H
#define SHIM_THREAD_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* The proc module's exit: ends the calling thread unless it is the last
 * one (then it returns and the process exits). */
void shim_thread_exit(int code) __attribute__((weak));
/* The mm module's munmap of [addr, addr+len): 1 if the calling thread runs
 * on that range (musl's detached threads unmap their own stack, then
 * exit), and the unmap is deferred until it has left it; else 0. */
int shim_thread_defer_unmap(uintptr_t addr, size_t len) __attribute__((weak));

#pragma GCC visibility pop

#endif

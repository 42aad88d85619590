/* What the pipe module (posix-shim/pipe) offers other modules. Callers test
 * `#if SHIM_HAVE_pipe` (shim_syscalls.h): the module is optional. */
#ifndef SHIM_PIPE_H
#define SHIM_PIPE_H

#pragma GCC visibility push(hidden)

struct vnode;

/* A named FIFO's vnode for mknod (vfs), not yet linked anywhere: 0 with
 * it in *out, or -ENOSPC. */
long pipe_new_fifo(struct vnode **out);

#pragma GCC visibility pop

#endif

/* What the sysinfo module (posix-shim/sysinfo) offers other modules. */
#ifndef SHIM_SYSINFO_H
#define SHIM_SYSINFO_H

#pragma GCC visibility push(hidden)

/* RLIMIT_NPROC's default and ceiling: the process table's size. */
#define SYSINFO_NPROC_MAX 1024
/* The calling process's soft limit for a resource (RLIMIT_*). */
unsigned long sysinfo_rlimit_cur(int resource);

#pragma GCC visibility pop

#endif

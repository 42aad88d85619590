/* What the sysinfo module (posix-shim/sysinfo) offers other modules. */
#ifndef SHIM_SYSINFO_H
#define SHIM_SYSINFO_H

#pragma GCC visibility push(hidden)

#include <stdint.h>

/* RLIMIT_NPROC's default and ceiling: the process table's size. */
#define SYSINFO_NPROC_MAX 1024
/* The calling process's soft limit for a resource (RLIMIT_*). */
unsigned long sysinfo_rlimit_cur(int resource);
/* At boot, after the modules' init: the first process's user and group
 * from the kernel command line's portapp.user=UID:GID (root without it). */
void sysinfo_boot_ids(const char *cmdline);
/* The calling process's ids for files it creates (Linux's fsuid/fsgid,
 * which follow the effective ids): the owner of a new file. 0:0 before
 * the module's init. */
void sysinfo_fs_ids(uint32_t *uid, uint32_t *gid);

#pragma GCC visibility pop

#endif

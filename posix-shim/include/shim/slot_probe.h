/* Where a rewritten ELF file keeps its PortApp slot table (docs/architecture.md),
 * read through the platform's own pread: linuxu reads the host file, the
 * unikernel reads through the vfs. Shared by both platforms' slot filling. */
#ifndef SHIM_SLOT_PROBE_H
#define SHIM_SLOT_PROBE_H

#include <stdint.h>

struct portapp_slot_file {
    uint64_t seg_off;     /* page-aligned p_offset of the segment holding the table */
    uint64_t table_off;   /* file offset of target[0] */
    uint32_t nslots;      /* 0: not a rewritten ELF (or no slots) */
};

/* Reads exactly n bytes at off from fd; returns 1 on success, 0 otherwise. */
typedef int (*shim_pread_exact_fn)(long fd, void *buf, uint64_t n, uint64_t off);

/* Fills *out from the file's ELF header, program headers and PortApp note;
 * leaves out->nslots 0 when there is no usable table. */
void portapp_probe_slots(long fd, shim_pread_exact_fn pread_exact, struct portapp_slot_file *out);

#endif

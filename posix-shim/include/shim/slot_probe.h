/* PortApp slot tables (docs/architecture.md, "The rewritten ELF" and "Who
 * fills the slots"): finding an object's note and table, filling the table
 * with the shim's entries and telling the caller which pages to make
 * read-only. One implementation for every platform: the linuxu loader and
 * the unikernel's loader fill the tables of the objects they map themselves
 * (portapp_fill_loaded_slots), linuxu's mmap hook and the mm module those of
 * the objects ld.so maps (portapp_fill_mapped_slots). The platform keeps
 * only what differs: how it reads a file, how it protects pages, and what
 * it says about a malformed object. */
#ifndef SHIM_SLOT_PROBE_H
#define SHIM_SLOT_PROBE_H

#pragma GCC visibility push(hidden)

#include <stdint.h>
#include "shim/elf.h"
#include "shim/kabi.h"

/* ---- notes (core/slot_probe.c) ------------------------------------------- */

/* Looks for the PortApp note among the notes in [notes, notes + len).
 * Returns 1 and copies its descriptor to *out, 0 when there is none, -1 when
 * the note is there but its descriptor is shorter than the format's. */
int portapp_note_find(const void *notes, uint64_t len, struct portapp_note_desc *out);

/* The same over the PT_NOTEs of an object mapped at bias, read in place:
 * only notes that lie inside a PT_LOAD (so are mapped) are looked at. */
int portapp_loaded_note(const Elf64_Phdr *ph, unsigned phnum, uint64_t bias, struct portapp_note_desc *out);

/* ---- a rewritten file, read through the platform (core/slot_probe.c) ------ */

/* How the platform reads a file open on fd: fstat into the x86_64 struct
 * stat (0 or -errno), and pread of exactly n bytes (1 on success, else 0).
 * linuxu asks the host kernel, the unikernel its vfs. */
struct portapp_file_io {
    long (*fstat)(long fd, struct k_stat *st);
    int (*pread_exact)(long fd, void *buf, uint64_t n, uint64_t off);
};

struct portapp_slot_file {
    uint64_t seg_off;     /* page-aligned p_offset of the segment holding the table */
    uint64_t table_off;   /* file offset of target[0] */
    uint32_t nslots;      /* 0: not a rewritten ELF (or no slots) */
};

/* Fills *out from the file's ELF header, program headers and PortApp note
 * (the table must lie in the file image of a writable PT_LOAD); leaves
 * out->nslots 0 when there is no usable table. */
void portapp_probe_slots(long fd, const struct portapp_file_io *io, struct portapp_slot_file *out);

/* portapp_probe_slots of a regular file, cached by (st_dev, st_ino, size,
 * mtime): ld.so maps each object in several pieces. Returns 0 when fd is not
 * a regular file or fstat fails. Safe in signal handlers and across fork:
 * the cache's lock is only tried a bounded number of times. */
int portapp_probe_slots_cached(long fd, const struct portapp_file_io *io, struct portapp_slot_file *out);

/* ---- filling (core/slot_fill.c) ------------------------------------------------ */

/* Pages to make read-only once a table is filled: [start, end), empty when
 * another segment shares them (the rewriter gives the table its own). */
struct portapp_ro_range {
    uintptr_t start, end;
};

/* target[i] = the shim's entry for nr[i] (the nr[] follow target[]). With
 * through_dispatch, every slot gets shim_entry_generic instead, so every
 * call passes shim_dispatch (tracing: the direct entries skip it). */
void portapp_fill_slots(uint64_t *target, uint32_t nslots, int through_dispatch);

enum portapp_loaded_status {
    PORTAPP_NOT_REWRITTEN = 0,   /* no PortApp note, or no slots */
    PORTAPP_FILLED,
    PORTAPP_NOTE_TOO_SHORT,
    PORTAPP_TABLE_NOT_WRITABLE,  /* the table is not in a writable PT_LOAD */
};

/* Fills the slot table of an object the platform mapped itself at bias
 * (every PT_LOAD mapped, writable ones writable), from its loaded note.
 * *note gets the note's descriptor (zeroes when none), *ro the pages to
 * protect. */
enum portapp_loaded_status portapp_fill_loaded_slots(const Elf64_Phdr *ph, unsigned phnum, uint64_t bias,
                                                     int through_dispatch, struct portapp_note_desc *note,
                                                     struct portapp_ro_range *ro);

/* After a successful MAP_PRIVATE, PROT_WRITE mapping of [addr, addr + len)
 * from fd at file offset off (the caller checks those): if it is the mapping
 * of the segment holding a slot table, i.e. off is that segment's
 * page-aligned p_offset and the mapping covers the whole table, fills the
 * table from the nr[] in the mapping and returns the number of slots (0:
 * not such a mapping). *ro: the table's pages, all inside this mapping. */
uint32_t portapp_fill_mapped_slots(uintptr_t addr, uint64_t len, long fd, uint64_t off,
                                   const struct portapp_file_io *io, int through_dispatch,
                                   uint64_t **table, struct portapp_ro_range *ro);

#pragma GCC visibility pop

#endif

/* Internal interface of the unikernel glue (platforms/qemu): the boot
 * sequence (kmain.c), the app loader (loader.c), the shim's platform hooks
 * (platform.c) and the assembly entries (entry.S). */
#ifndef QEMU_H
#define QEMU_H

#include "arch.h"

/* The app's main-thread stack: 8 MiB below the top of the lower half (one
 * guard page above it stays unmapped), the top 128 KiB mapped at load, the
 * rest on first touch when the mm module is in the image. */
#define APP_STACK_TOP   0x00007ffffffff000ull
#define APP_STACK_SIZE  (8ull << 20)
#define APP_STACK_EAGER (128ull << 10)
/* Where a static-pie (ET_DYN) app is placed, as Linux does. */
#define APP_DYN_BASE    0x0000555555554000ull

/* Host time at launch (ns since the epoch; portapp.time= on the command
 * line): CLOCK_REALTIME is this plus nanotime(). */
extern uint64_t boot_epoch_ns;

/* The host's terminals (portapp.tty= on the command line, README.md):
 * bit N set when the host's fd N (0, 1, 2) is a terminal; its size, 0 when
 * not given. Without the word no stream is a terminal. */
extern uint8_t console_tty_mask;
extern uint16_t console_tty_rows, console_tty_cols;
/* The console's line discipline and the host's control codes (tty.c):
 * starts the virtio console when the VM has one (cmdline: the kernel's,
 * for virtio-mmio devices), else looks at the 16550's input in every timer
 * interrupt. */
void tty_init(const char *cmdline);

/* The app as described by the command line (README.md: encoding). */
#define APP_MAX_ARGS 256
#define APP_MAX_MOUNTS 8
struct app_cmdline {
    const char *exe;                 /* path in the initrd, also argv[0]'s default */
    int argc, envc;
    const char *argv[APP_MAX_ARGS];
    const char *envp[APP_MAX_ARGS];
    const char *cwd;                 /* the app's working directory, or NULL for "/" */
    bool trace;
    bool aslr;                       /* random load bases (portapp.aslr=0: off) */
    /* portapp.mount=TAG:PATH[:ro]: the virtio-9p device tagged TAG at PATH. */
    int nmounts;
    struct app_mount { const char *tag, *path; bool readonly; } mounts[APP_MAX_MOUNTS];
};
void app_cmdline_parse(const char *cmdline, struct app_cmdline *out);

/* cpio newc: the file at path (leading "/" or "./" ignored). */
bool cpio_find(const void *cpio, size_t len, const char *path, const void **data, size_t *size);

/* Where the interpreter (ld.so) of a dynamically linked app is placed: below
 * the mm module's area for mmap without a hint, as Linux's mmap base. */
#define APP_INTERP_BASE 0x00007fff00000000ull

struct app_image {
    uint64_t entry, phdr, phnum, bias, brk;   /* the executable's */
    uint64_t start;                           /* where to enter: its entry, or the interpreter's */
    uint64_t interp_bias;                     /* AT_BASE: 0 without an interpreter */
    const char *interp;                       /* PT_INTERP, or NULL */
    unsigned slots, sites_rewritten, sites_left;   /* both objects' */
};
/* Maps the app at path in the initrd (and its PT_INTERP, from the initrd
 * too) with W^X, at random bases when aslr (position-independent objects;
 * execve keeps the choice), and fills their PortApp slots; panics with a
 * clear message on a missing, malformed or unsupported file. execve loads
 * through the same code (platform_exec_load, shim/exec.h). */
void app_load(const void *initrd, size_t initrd_len, const char *path, bool aslr, struct app_image *out);
/* Maps the stack and writes argc/argv/envp/auxv; returns the initial rsp. */
uint64_t app_stack(const struct app_image *im, const struct app_cmdline *cl);

void platform_traps_init(void);
void syscall_init(void);
NORETURN void app_enter(uint64_t entry, uint64_t sp);
void syscall_lstar_entry(void);

#endif

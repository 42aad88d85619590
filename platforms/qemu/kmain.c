/*
 * The unikernel's boot sequence.  arch_start (platforms/x86_64/setup.c) has
 * already brought up the console, the CPU tables (GDT, TSS with IST stacks,
 * IDT), the boot information, physical and virtual memory, and the clock
 * and timer; then it calls this kmain:
 *
 *   traps and syscalls -> shim modules -> initrd (vfs) -> load the app -> enter it
 */
#include "qemu.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#endif
#include "shim/shim.h"
#include "shim/errno.h"
#include "shim/fmt.h"
#include "shim/vfs.h"
#include "shim/sysinfo.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#endif
#include "thread.h"
#include "virtio_net.h"

void shim_init_modules(void);                                     /* generated */

#if SHIM_HAVE_vfs
/* The app starts in portapp.cwd (-w/--workdir), entered through the vfs's
 * own chdir so it means what the app's chdir would. A directory the image
 * lacks is the user's mistake, not the kernel's: one line on the app's
 * stderr and exit 127, as linuxu's loader does. */
static void enter_workdir(const char *dir)
{
    long r = vfs_chdir(dir);   /* a kernel string: not the syscall, which takes the app's */
    if (r == 0)
        return;
    const char *why = r == -ENOENT ? "no such directory in the image" : r == -ENOTDIR ? "not a directory"
                    : "cannot enter it";
    char line[600];
    int n = shim_snprintf(line, sizeof line, "port-app: --workdir %s: %s (error %ld)\n", dir, why, -r);
    platform_write_err(line, n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n);
    power_off(127);
}
#endif

#if SHIM_HAVE_9pfs
#include "shim/p9.h"
#include "virtio_9p.h"

/* A mount that cannot be made is the user's problem (port-app checked the
 * host directory; the device or the export may still fail): one line on
 * the app's stderr and exit 127, like a bad --workdir. */
static void mount_failed(const struct app_mount *m, const char *why, long err)
{
    char line[600];
    int n = shim_snprintf(line, sizeof line, "port-app: --mount to %s: %s (error %ld)\n", m->path, why, err);
    platform_write_err(line, n < 0 ? 0 : (size_t)n >= sizeof line ? sizeof line - 1 : (size_t)n);
    power_off(127);
}

/* portapp.mount=TAG:PATH[:ro]: the virtio-9p device tagged TAG, mounted at
 * PATH before the app (and its working directory) is looked up. */
static void mount_shares(const char *kcmdline, const struct app_cmdline *cl)
{
    if (cl->nmounts == 0)
        return;
    virtio_9p_init(kcmdline);
    for (int i = 0; i < cl->nmounts; i++) {
        const struct app_mount *m = &cl->mounts[i];
        struct p9_transport *t = virtio_9p_find(m->tag);
        if (!t)
            mount_failed(m, "no virtio-9p device with its tag", -ENODEV);
        long r = p9fs_mount(t, m->path, m->readonly);
        if (r < 0)
            mount_failed(m, "the 9P mount failed", r);
        kprintf("[kernel] 9p: %s mounted at %s%s\n", m->tag, m->path, m->readonly ? " (read-only)" : "");
    }
}
#endif

uint64_t boot_epoch_ns;
static struct app_cmdline cmdline;
static char syscall_stack[32 * 1024] ALIGNED(16);

/* STAR/LSTAR/SFMASK so that a `syscall` left in the app (ring 0) lands in
 * syscall_lstar_entry with interrupts, DF, TF and AC cleared. */
void syscall_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);                        /* SCE */
    wrmsr(0xc0000081, (uint64_t)SEL_KCODE << 32 | (uint64_t)SEL_KCODE << 48);   /* STAR */
    wrmsr(0xc0000082, (uint64_t)syscall_lstar_entry);            /* LSTAR */
    wrmsr(0xc0000084, (1u << 9) | (1u << 10) | (1u << 8) | (1u << 18));   /* SFMASK: IF DF TF AC */
    this_cpu()->syscall_kstack = (uint64_t)(syscall_stack + sizeof syscall_stack);
}

void kmain(const struct boot_info *bi)
{
    platform_traps_init();            /* page faults in the app's half go to mm */
    syscall_init();
    sched_init();                     /* the boot context becomes the main thread */
    tty_init(bi->cmdline);            /* the console; ^C and the host's signals, even while the app computes */

    app_cmdline_parse(bi->cmdline, &cmdline);
    shim_set_trace(cmdline.trace);
#if SHIM_HAVE_net
    /* Only an image with the net module looks for devices: an app that
     * never uses the network boots without scanning PCI or touching virtio
     * (and the linker drops the drivers). The stack attaches in its init. */
    virtio_net_init(bi->cmdline);
#endif
    shim_init_modules();
#if SHIM_HAVE_sysinfo
    sysinfo_boot_ids(bi->cmdline);   /* portapp.user=UID:GID: the app's first ids */
#endif

    if (bi->nmodules == 0)
        panic("no initrd: boot with -initrd holding the app (port-app build writes one)");
    const struct boot_module *initrd = &bi->modules[0];
    if (!cmdline.exe)
        panic("no app on the command line (portapp.exe=PATH)");
#if SHIM_HAVE_vfs   /* the vfs module's boot entry points (shim/vfs.h) */
    vfs_mount_initrd(initrd->data, initrd->size);
    vfs_set_exe_path(cmdline.exe);                /* /proc/self/exe */
    vfs_set_cmdline(cmdline.argc, cmdline.argv);
#if SHIM_HAVE_process
    const char *base = strrchr(cmdline.exe, '/');
    process_set_comm(base ? base + 1 : cmdline.exe);   /* as Linux names a process */
#endif
#if SHIM_HAVE_9pfs
    mount_shares(bi->cmdline, &cmdline);
#else
    if (cmdline.nmounts)
        panic("portapp.mount needs the 9pfs module");
#endif
    if (cmdline.cwd)
        enter_workdir(cmdline.cwd);
#else
    if (cmdline.cwd)
        panic("portapp.cwd=%s needs the vfs module", cmdline.cwd);
#endif

    struct app_image im;
    app_load(initrd->data, initrd->size, cmdline.exe, cmdline.aslr, &im);
    uint64_t sp = app_stack(&im, &cmdline);
    kprintf("[kernel] app %s: entry %#lx, %u slots, %u sites rewritten, %u left as syscall\n",
            cmdline.exe, im.entry, im.slots, im.sites_rewritten, im.sites_left);
    if (im.interp)
        kprintf("[kernel] interpreter %s at %#lx, entered at %#lx\n", im.interp, im.interp_bias, im.start);
    kprintf("[kernel] tsc %lu Hz, %lu of %lu frames free\n", tsc_hz(), frames_free_count(),
            frames_total_count());
    app_enter(im.start, sp);
}

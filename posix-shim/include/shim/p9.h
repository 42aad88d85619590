/* The 9pfs module's boundary with the platform: a 9P transport (the
 * platform's virtio-9p driver; the host harness's in-process server) and
 * the boot call that mounts one.
 *
 * The client sends one T-message at a time and waits for its R-message
 * (it serializes its callers itself), so a transport is a single
 * request/response call; the tag in the message is always 0. */
#ifndef SHIM_P9_H
#define SHIM_P9_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct p9_transport {
    /* Sends tx (a whole T-message, txlen bytes) and waits for the reply,
     * written to rx (at most rxmax bytes). Returns the reply's length, or
     * -EIO when the transport failed. May sleep (wait.h). */
    long (*rpc)(struct p9_transport *t, const void *tx, size_t txlen, void *rx, size_t rxmax);
    /* The largest message the transport carries each way (the client
     * offers it as msize in Tversion). */
    uint32_t max_msize;
    /* What /proc/mounts names as the mount's source (the mount tag). */
    const char *name;
};

/* Mounts the export behind t at the absolute path (created if missing):
 * Tversion "9P2000.L", Tattach, then a vfs_mount. readonly: every change
 * below it fails with EROFS. 0 or -errno (-EIO: the transport failed, or
 * the server does not speak 9P2000.L). t must stay valid for the kernel's life. */
long p9fs_mount(struct p9_transport *t, const char *path, int readonly);

#pragma GCC visibility pop

#endif

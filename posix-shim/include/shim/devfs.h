/* devfs: /dev and the console behind fds 0, 1 and 2. */
#ifndef SHIM_DEVFS_H
#define SHIM_DEVFS_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* The console goes through shim.h's platform_console_write (fd 1),
 * platform_console_write_err (fd 2) and platform_console_read (fd 0).
 * devfs always reads with nonblock = 1 and sleeps on shim_poll_wq itself
 * (wait.h), so platform_idle must return when input may have arrived, or
 * at least periodically. */

/* Platform hook (weak: without it all three streams are terminals): whether
 * the console stream behind fd 0, 1 or 2 is a terminal on the host, so
 * that isatty/TCGETS/TIOCGWINSZ answer as they would natively (busybox ls
 * prints columns only on a terminal). Asked at every such ioctl. */
int platform_console_isatty(int fd) __attribute__((weak));

/* Platform hook (weak: without it, or when it returns 0, TIOCGWINSZ reports
 * 24x80): the host terminal's size. Asked at every TIOCGWINSZ, so a size
 * that changes on the host reaches the app; a TIOCSWINSZ by the app holds
 * until the host's size changes. */
int platform_console_winsize(uint16_t *rows, uint16_t *cols) __attribute__((weak));

/* Platform hook (weak: without it the platform passes bytes unchanged):
 * the terminal settings the app set with TCSETS* (and devfs's defaults at
 * its init), for the platform's line discipline; flush (TCSETSF) drops
 * input not yet read. A platform with a line discipline returns 0 from
 * platform_console_read for a ^D on an empty line: an end of file for
 * that read only, on a terminal. */
struct k_termios;
void platform_console_termios(const struct k_termios *t, int flush) __attribute__((weak));

/* Platform hook (weak: without it, or when it returns 0, a blocked
 * console read looks at the input again every 0.5 ms): whether the
 * platform wakes shim_poll_wq itself when console input arrives (an
 * interrupt-driven console), so a reader can sleep until then. */
int platform_console_wakes(void) __attribute__((weak));

/* A device vnode for major:minor (for the initrd's device nodes), or NULL. */
struct vnode *devfs_node_for(uint32_t major, uint32_t minor);

void devfs_init(void);

#pragma GCC visibility pop

#endif

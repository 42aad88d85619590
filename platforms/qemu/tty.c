/* The console as the app's terminal: input from the serial line, the line
 * discipline, and the host's control codes.
 *
 * When the host's stdin is a terminal, port-app puts that terminal in raw
 * mode and passes every key through, so the guest does what a Linux tty
 * does (Linux's n_tty): canonical lines with erase, kill and word erase,
 * echo, ^C/^\/^Z as SIGINT/SIGQUIT/SIGTSTP, CR to NL on input and NL to
 * CR NL on output, all as the app's termios says (devfs hands its TCSETS
 * over through platform_console_termios). When stdin is not a terminal
 * (a pipe, a file) bytes pass unchanged: no echo, no editing, no signals.
 *
 * Two transports (platforms/qemu/README.md): the virtio console when the
 * VM has one (virtio_console.h: stdin, stdout and stderr on one port,
 * port-app's control codes on a port of their own; interrupt driven: the
 * device wakes this file's console thread, which runs the line discipline
 * and wakes the readers), else the 16550 (serial.c), polled.
 *
 * The host also sends control codes (serial.c's escape, 0xff X; payload
 * bytes escaped like data):
 *   0xff 's' N          signal N for the app (port-app got it: kill, ^C on
 *                       a host whose stdin is not a terminal ...)
 *   0xff 'w' R R C C    the terminal's new size (rows, cols: little-endian
 *                       16-bit), raising SIGWINCH
 * On the virtio console they come on their own port, taken as they arrive
 * whatever the app reads. On the 16550 they share the line with stdin:
 * input is taken from the UART at every read and at every timer interrupt
 * (sched_set_tick_hook), so ^C and the host's signals reach an app that is
 * not reading stdin, but input the app has not read stays queued (4 KiB
 * here, then in QEMU), and control codes behind it wait with it. */
#include "arch.h"
#include "shim/shim.h"
#include "shim/kabi.h"
#include "shim/devfs.h"
#include "shim/signal.h"
#include "qemu.h"
#include "thread.h"
#include "virtio_console.h"
#if SHIM_HAVE_vfs
#include "shim/wait.h"
#endif

#define CTL_SIGNAL  's'
#define CTL_WINSIZE 'w'

/* termios bits and c_cc indices (Linux x86_64) */
#define T_ISTRIP 0x20
#define T_INLCR  0x40
#define T_IGNCR  0x80
#define T_ICRNL  0x100
#define T_OPOST  0x1
#define T_ONLCR  0x4
#define T_OCRNL  0x8
#define T_ISIG   0x1
#define T_ICANON 0x2
#define T_ECHO   0x8
#define T_ECHOE  0x10
#define T_ECHOK  0x20
#define T_ECHONL 0x40
#define T_NOFLSH 0x80
#define T_ECHOCTL 0x200
#define T_ECHOKE 0x800
#define T_IEXTEN 0x8000
enum { VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP,
       VEOL, VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2 };

#define SIG_INT 2
#define SIG_QUIT 3
#define SIG_TSTP 20
#define SIG_WINCH 28

/* The app's settings once devfs has set them; until then (and without
 * devfs) the console passes bytes through. */
static struct k_termios tio;
static bool tio_valid;

/* Input: [0, ready) can be read; [ready, len) is the line being edited. */
static uint8_t q[4096];
static size_t qlen, qready;
/* A ^D on an empty line: the read at this offset returns 0 (one pending). */
#define NO_EOF ((size_t)-1)
static size_t eof_at = NO_EOF;
static bool host_eof;      /* the host's stdin ended */

/* A source of host input: its escape state (the virtio ports'; serial.c
 * decodes the UART's) and the control code being received, with the
 * payload bytes still missing. */
struct source {
    bool esc;
    int code;
    unsigned need, got;
    uint8_t buf[4];
};
static struct source uart_src, io_src, ctl_src;

static bool stdin_tty(void) { return console_tty_mask & 1; }
static bool disciplined(void) { return tio_valid && stdin_tty(); }

/* ---- output ---------------------------------------------------------------- */

/* The stream the virtio console's last queued bytes belong to (0: none yet;
 * the host's demultiplexer starts in no app stream). */
static int vcon_chan;

/* One chunk for the virtio console, escaped, behind 2 bytes of headroom for
 * the stream marker. The marker is chosen only once a transmit buffer is
 * free (the wait may let another writer in, whose bytes switch the stream),
 * and the chunk goes out as one buffer, so it cannot be split by another
 * stream's bytes. Without may_sleep (echo from the console thread) a chunk
 * the host has no room for is dropped, as a full terminal drops echo. */
static void vcon_chunk(int chan, uint8_t *stage, size_t len, bool may_sleep)
{
    if (!len)
        return;
    uint64_t flags = irq_save();
    while (!vcon_tx_ready(len + 2)) {
        if (!may_sleep) {
            irq_restore(flags);
            return;
        }
        vcon_tx_wait();
    }
    uint8_t *p = stage + 2;
    if (chan != vcon_chan) {
        p = stage;
        p[0] = 0xff;
        p[1] = (uint8_t)chan;
        len += 2;
        vcon_chan = chan;
    }
    vcon_append(p, len);
    irq_restore(flags);
}

/* stdout or stderr on the virtio console: 0xff doubled, as on the serial
 * line, in chunks of at most one transmit buffer. */
static void vcon_out(int chan, const uint8_t *s, size_t n, bool may_sleep)
{
    uint8_t stage[2 + 2048];
    size_t k = 0;
    while (n) {
        /* The plain run up to the next 0xff goes in with one copy. */
        size_t run = 0;
        while (run < n && s[run] != 0xff)
            run++;
        size_t c = run < sizeof stage - 2 - k ? run : sizeof stage - 2 - k;
        memcpy(stage + 2 + k, s, c);
        k += c;
        s += c;
        n -= c;
        if (n && c == run) {                    /* a 0xff next */
            if (k + 2 > sizeof stage - 2) {
                vcon_chunk(chan, stage, k, may_sleep);
                k = 0;
            }
            stage[2 + k++] = 0xff;
            stage[2 + k++] = 0xff;
            s++;
            n--;
        }
        if (k == sizeof stage - 2) {
            vcon_chunk(chan, stage, k, may_sleep);
            k = 0;
        }
    }
    vcon_chunk(chan, stage, k, may_sleep);
}

/* The app's bytes to the host: the virtio console when there is one. */
static void chan_write(int chan, const uint8_t *s, size_t n, bool may_sleep)
{
    if (vcon_active())
        vcon_out(chan, s, n, may_sleep);
    else
        console_write(chan, s, n);
}

/* Output to a terminal stream goes through OPOST when the host's terminal
 * is raw (port-app makes it so exactly when stdin is a terminal); a host
 * terminal in its own cooked mode already turns NL into CR NL. */
static void out_chan_how(int chan, const uint8_t *s, size_t n, bool may_sleep)
{
    bool post = disciplined() && (console_tty_mask >> chan & 1) && (tio.c_oflag & T_OPOST)
                && (tio.c_oflag & (T_ONLCR | T_OCRNL));
    if (!post) {
        chan_write(chan, s, n, may_sleep);
        return;
    }
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && (tio.c_oflag & T_ONLCR)) {
            chan_write(chan, s + from, i - from, may_sleep);
            chan_write(chan, (const uint8_t *)"\r\n", 2, may_sleep);
            from = i + 1;
        } else if (s[i] == '\r' && (tio.c_oflag & T_OCRNL)) {
            chan_write(chan, s + from, i - from, may_sleep);
            chan_write(chan, (const uint8_t *)"\n", 1, may_sleep);
            from = i + 1;
        }
    }
    chan_write(chan, s + from, n - from, may_sleep);
}

static void out_chan(int chan, const uint8_t *s, size_t n)
{
    out_chan_how(chan, s, n, true);
}

long platform_console_write(const void *buf, size_t len)
{
    out_chan(CONSOLE_STDOUT, buf, len);
    return (long)len;
}

long platform_console_write_err(const void *buf, size_t len)
{
    out_chan(CONSOLE_STDERR, buf, len);
    return (long)len;
}

/* Echo goes to the terminal: stdout when it is one, else stderr. */
static void echo_bytes(const char *s, size_t n)
{
    if (console_tty_mask & 2)
        out_chan_how(CONSOLE_STDOUT, (const uint8_t *)s, n, false);
    else if (console_tty_mask & 4)
        out_chan_how(CONSOLE_STDERR, (const uint8_t *)s, n, false);
}

static bool is_ctl(uint8_t c) { return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f; }

static void echo_char(uint8_t c)
{
    if ((tio.c_lflag & T_ECHOCTL) && is_ctl(c)) {
        char two[2] = { '^', (char)(c ^ 0x40) };
        echo_bytes(two, 2);
    } else {
        echo_bytes((const char *)&c, 1);
    }
}

/* Removes the last character of the line being edited, on screen too. */
static void erase_one(void)
{
    if (qlen == qready)
        return;
    uint8_t c = q[--qlen];
    if ((tio.c_lflag & T_ECHO) && (tio.c_lflag & T_ECHOE)) {
        int cols = (tio.c_lflag & T_ECHOCTL) && is_ctl(c) ? 2 : 1;
        for (int i = 0; i < cols; i++)
            echo_bytes("\b \b", 3);
    }
}

/* ---- signals ----------------------------------------------------------------- */

static void raise_signal(int sig)
{
    if (signal_raise_app) {
        signal_raise_app(sig);
        return;
    }
    /* No signal module: nothing in the app can handle a signal, so the
     * default action is the only one; of the signals the host sends and
     * the terminal makes, SIGWINCH (and SIGTSTP here) are not fatal. */
    if (sig == SIG_WINCH || sig == SIG_TSTP)
        return;
    kprintf("[kernel] app killed by signal %d\n", sig);
    platform_abort(128 + sig);
}

/* ---- input --------------------------------------------------------------------- */

static bool cc_is(int idx, uint8_t c) { return tio.c_cc[idx] && tio.c_cc[idx] == c; }

/* One byte from the host, through the line discipline (Linux n_tty's rules
 * for the flags port-app's users meet; no VLNEXT, VREPRINT, IXON or VTIME). */
static void receive(uint8_t c)
{
    if (!disciplined()) {
        q[qlen++] = c;
        qready = qlen;
        return;
    }
    if (tio.c_iflag & T_ISTRIP)
        c &= 0x7f;
    if (c == '\r') {
        if (tio.c_iflag & T_IGNCR)
            return;
        if (tio.c_iflag & T_ICRNL)
            c = '\n';
    } else if (c == '\n' && (tio.c_iflag & T_INLCR)) {
        c = '\r';
    }
    if (tio.c_lflag & T_ISIG) {
        int sig = cc_is(VINTR, c) ? SIG_INT : cc_is(VQUIT, c) ? SIG_QUIT : cc_is(VSUSP, c) ? SIG_TSTP : 0;
        if (sig) {
            if (!(tio.c_lflag & T_NOFLSH)) {
                qlen = qready = 0;
                eof_at = NO_EOF;
            }
            if (tio.c_lflag & T_ECHO)
                echo_char(c);
            raise_signal(sig);
            return;
        }
    }
    if (tio.c_lflag & T_ICANON) {
        if (cc_is(VERASE, c)) {
            erase_one();
            return;
        }
        if (cc_is(VKILL, c)) {
            if ((tio.c_lflag & T_ECHOKE) || !(tio.c_lflag & T_ECHOK)) {
                while (qlen > qready)
                    erase_one();
            } else {
                qlen = qready;
                if (tio.c_lflag & T_ECHO) {
                    echo_char(c);
                    echo_bytes("\n", 1);
                }
            }
            return;
        }
        if ((tio.c_lflag & T_IEXTEN) && cc_is(VWERASE, c)) {
            while (qlen > qready && (q[qlen - 1] == ' ' || q[qlen - 1] == '\t'))
                erase_one();
            while (qlen > qready && q[qlen - 1] != ' ' && q[qlen - 1] != '\t')
                erase_one();
            return;
        }
        if (cc_is(VEOF, c)) {
            if (qlen == qready) {
                if (eof_at == NO_EOF)
                    eof_at = qready;
            } else {
                qready = qlen;          /* the line so far, without a delimiter */
            }
            return;
        }
        bool ends = c == '\n' || cc_is(VEOL, c) || ((tio.c_lflag & T_IEXTEN) && cc_is(VEOL2, c));
        if (qlen >= sizeof q - 1 && !ends)
            return;                     /* a full line takes only its end, as Linux */
        q[qlen++] = c;
        if ((tio.c_lflag & T_ECHO) || (c == '\n' && (tio.c_lflag & T_ECHONL)))
            echo_char(c);
        if (ends)
            qready = qlen;
        return;
    }
    q[qlen++] = c;
    qready = qlen;
    if (tio.c_lflag & T_ECHO)
        echo_char(c);
}

static void control(int code, const uint8_t *p)
{
    if (code == CTL_SIGNAL) {
        if (p[0] >= 1 && p[0] <= 64)
            raise_signal(p[0]);
    } else if (code == CTL_WINSIZE) {
        uint16_t rows = (uint16_t)(p[0] | p[1] << 8), cols = (uint16_t)(p[2] | p[3] << 8);
        if (rows && cols && (rows != console_tty_rows || cols != console_tty_cols)) {
            console_tty_rows = rows;
            console_tty_cols = cols;
            if (console_tty_mask)
                raise_signal(SIG_WINCH);
        }
    }
}

static unsigned payload_len(int code)
{
    return code == CTL_SIGNAL ? 1 : code == CTL_WINSIZE ? 4 : 0;
}

/* Room for one more byte from the host. A canonical line that is full still
 * takes bytes (receive drops all but its end), or input would stop there. */
static bool room(const struct source *src)
{
    if (src->need)
        return true;
    if (disciplined() && (tio.c_lflag & T_ICANON))
        return qready < sizeof q - 1;
    return qlen < sizeof q;
}

/* One item of host input: a byte, CONSOLE_EOF or CONSOLE_CONTROL | X. */
static void input_item(struct source *src, int c)
{
    if (c == CONSOLE_EOF) {
        host_eof = true;
        qready = qlen;                  /* a hangup ends the line being edited */
    } else if (c >= CONSOLE_CONTROL) {  /* control codes may follow the end */
        src->code = c & 0xff;
        src->need = payload_len(src->code);
        src->got = 0;
        if (!src->need)
            control(src->code, src->buf);
    } else if (src->need) {
        src->buf[src->got++] = (uint8_t)c;
        if (--src->need == 0)
            control(src->code, src->buf);
    } else if (!host_eof) {
        receive((uint8_t)c);
    }
}

/* Takes what the UART holds. QEMU hands over the next byte only after the
 * previous one was read (no FIFO: serial.c), a few microseconds later, so
 * an empty receive register is watched for up to spin_ns before giving
 * up; budget_ns bounds the whole call (0: none). */
static void drain(uint64_t spin_ns, uint64_t budget_ns)
{
    uint64_t start = nanotime(), give_up = 0;
    while (room(&uart_src)) {
        int c = console_getc_nonblock();
        uint64_t now = nanotime();
        if (c < 0 && c != CONSOLE_EOF) {
            if (!give_up)
                give_up = now + spin_ns;
            if (now >= give_up || (budget_ns && now - start >= budget_ns))
                break;
            cpu_relax();
            continue;
        }
        give_up = 0;
        input_item(&uart_src, c);
        if (budget_ns && now - start >= budget_ns)
            break;
    }
}

/* In the timer interrupt: a short look, so ^C and the host's signals
 * arrive while the app computes or sleeps (16550 only). */
static void tty_tick(uint64_t now)
{
    (void)now;
    drain(20000, 1000000);
}

/* serial.c's escape decoding, for a virtio port: the item, or -1 (none). */
static int unescape(struct source *src, uint8_t b)
{
    if (src->esc) {
        src->esc = false;
        return b == 0x04 ? CONSOLE_EOF : b == 0xff ? 0xff : CONSOLE_CONTROL | b;
    }
    if (b == 0xff) {
        src->esc = true;
        return -1;
    }
    return b;
}

/* Takes what the virtio console's ports hold: every control code, and
 * stdin while the queue has room (the rest stays in the device's buffers,
 * so the host waits: no loss). Interrupts off. */
static void drain_vcon(void)
{
    const uint8_t *p;
    size_t n;
    while ((n = vcon_peek(VCON_CTL, &p))) {
        for (size_t i = 0; i < n; i++) {
            int c = unescape(&ctl_src, p[i]);
            if (c != -1)
                input_item(&ctl_src, c);
        }
        vcon_consume(VCON_CTL, n);
    }
    while (room(&io_src) && (n = vcon_peek(VCON_IO, &p))) {
        size_t used = 1;
        if (!io_src.esc && !io_src.need && !host_eof && !disciplined() && p[0] != 0xff) {
            /* Bytes from a pipe or file: the run up to the next 0xff in one copy. */
            size_t run = 1;
            while (run < n && p[run] != 0xff)
                run++;
            used = run < sizeof q - qlen ? run : sizeof q - qlen;
            memcpy(q + qlen, p, used);
            qlen += used;
            qready = qlen;
        } else {
            int c = unescape(&io_src, p[0]);
            if (c != -1)
                input_item(&io_src, c);
        }
        vcon_consume(VCON_IO, used);
    }
}

/* Channels: the console thread's (the device's interrupt wakes it) and the
 * readers' that have no wait queue (without the vfs). */
static const char con_chan, rd_chan;

static void wake_readers(void)
{
    sched_wake_chan(&rd_chan, ~0u, -1);
#if SHIM_HAVE_vfs
    wake_all(&shim_poll_wq);            /* devfs's readers and poll/select/epoll */
#endif
}

/* The virtio console's thread (a service thread): woken by the device, it
 * runs the control codes (signals, the window size) and the line
 * discipline (echo, ^C) on what arrived, and wakes the readers. It sleeps
 * when nothing it can take is left: stdin that finds the queue full waits
 * in the device for a read, which takes it itself. */
static void con_thread(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t flags = irq_save();
        vcon_service();
        size_t ready = qready, eof_pos = eof_at;
        bool eof = host_eof;
        drain_vcon();
        if (qready != ready || eof_at != eof_pos || host_eof != eof)
            wake_readers();
        vcon_tx_flush();                /* what writers (and this thread's echo) left open */
        if (vcon_rx_empty(VCON_CTL, true) && (!room(&io_src) || vcon_rx_empty(VCON_IO, true)) &&
            !vcon_service())
            sched_block(&con_chan, ~0u, 0);
        irq_restore(flags);
    }
}

/* Up to len readable bytes (canonical: up to the end of the first line). */
static size_t take(uint8_t *buf, size_t len)
{
    size_t avail = eof_at != NO_EOF ? eof_at : qready;
    if (disciplined() && (tio.c_lflag & T_ICANON)) {
        for (size_t i = 0; i < avail; i++)
            if (q[i] == '\n' || cc_is(VEOL, q[i]) || ((tio.c_lflag & T_IEXTEN) && cc_is(VEOL2, q[i]))) {
                avail = i + 1;
                break;
            }
    }
    size_t n = len < avail ? len : avail;
    memcpy(buf, q, n);
    memmove(q, q + n, qlen - n);
    qlen -= n;
    qready -= n;
    if (eof_at != NO_EOF)
        eof_at -= n;
    return n;
}

#define READ_SPIN_NS 100000
#define READ_BUDGET_NS 2000000          /* interrupts stay off at most this long */

long platform_console_read(void *buf, size_t len, int nonblock)
{
    for (;;) {
        uint64_t irq = irq_save();
        if (vcon_active())
            drain_vcon();
        else
            drain(READ_SPIN_NS, READ_BUDGET_NS);
        size_t n = len ? take(buf, len) : 0;
        bool eof = false;
        if (!n && eof_at == 0) {
            eof_at = NO_EOF;            /* ^D on an empty line: this read's end of file */
            eof = true;
        }
        bool vmin0 = disciplined() && !(tio.c_lflag & T_ICANON) && tio.c_cc[VMIN] == 0;
        if (n || eof || (host_eof && !qready) || vmin0 || nonblock) {
            irq_restore(irq);
            return n || eof || (host_eof && !qready) || vmin0 ? (long)n : -EAGAIN;
        }
        if (vcon_active()) {
            /* The console thread wakes us when input arrives. */
            if (vcon_rx_empty(VCON_IO, true) || !room(&io_src))
                sched_block(&rd_chan, ~0u, 0);
            irq_restore(irq);
            continue;
        }
        irq_restore(irq);
        platform_idle();
    }
}

/* Whether the console's input wakes its waiters (devfs.h): on the virtio
 * console, yes; the 16550 is polled. */
int platform_console_wakes(void)
{
    return vcon_active();
}

void platform_console_termios(const struct k_termios *t, int flush)
{
    uint64_t irq = irq_save();
    bool was_canon = !tio_valid || (tio.c_lflag & T_ICANON);
    tio = *t;
    tio_valid = true;
    if (flush) {
        qlen = qready = 0;
        eof_at = NO_EOF;
    } else if (!(tio.c_lflag & T_ICANON) && was_canon) {
        qready = qlen;                  /* leaving canonical mode: the partial line is readable */
    }
    irq_restore(irq);
}

void tty_init(const char *cmdline)
{
    if (vcon_init(cmdline, &con_chan)) {
        if (!sched_spawn_service(con_thread, NULL))
            panic("tty: no memory for the console thread");
        kprintf("[kernel] console: virtio-console\n");
        return;
    }
    sched_set_tick_hook(tty_tick);
}

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
 * The host also sends control codes on the same line (serial.c's escape,
 * 0xff X; payload bytes escaped like data):
 *   0xff 's' N          signal N for the app (port-app got it: kill, ^C on
 *                       a host whose stdin is not a terminal ...)
 *   0xff 'w' R R C C    the terminal's new size (rows, cols: little-endian
 *                       16-bit), raising SIGWINCH
 * Input is taken from the UART at every read and at every timer interrupt
 * (sched_set_tick_hook), so ^C and the host's signals reach an app that is
 * not reading stdin. Limitation: input the app has not read stays queued
 * (4 KiB here, then in QEMU), and control codes behind it wait with it. */
#include "arch.h"
#include "shim/shim.h"
#include "shim/kabi.h"
#include "shim/devfs.h"
#include "shim/signal.h"
#include "qemu.h"
#include "thread.h"

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

/* A control code being received: its code, payload bytes still missing. */
static int ctl_code;
static unsigned ctl_need, ctl_got;
static uint8_t ctl_buf[4];

static bool stdin_tty(void) { return console_tty_mask & 1; }
static bool disciplined(void) { return tio_valid && stdin_tty(); }

/* ---- output ---------------------------------------------------------------- */

/* Output to a terminal stream goes through OPOST when the host's terminal
 * is raw (port-app makes it so exactly when stdin is a terminal); a host
 * terminal in its own cooked mode already turns NL into CR NL. */
static void out_chan(int chan, const uint8_t *s, size_t n)
{
    bool post = disciplined() && (console_tty_mask >> chan & 1) && (tio.c_oflag & T_OPOST)
                && (tio.c_oflag & (T_ONLCR | T_OCRNL));
    if (!post) {
        console_write(chan, s, n);
        return;
    }
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && (tio.c_oflag & T_ONLCR)) {
            console_write(chan, s + from, i - from);
            console_write(chan, "\r\n", 2);
            from = i + 1;
        } else if (s[i] == '\r' && (tio.c_oflag & T_OCRNL)) {
            console_write(chan, s + from, i - from);
            console_write(chan, "\n", 1);
            from = i + 1;
        }
    }
    console_write(chan, s + from, n - from);
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
        out_chan(CONSOLE_STDOUT, (const uint8_t *)s, n);
    else if (console_tty_mask & 4)
        out_chan(CONSOLE_STDERR, (const uint8_t *)s, n);
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
static bool room(void)
{
    if (ctl_need)
        return true;
    if (disciplined() && (tio.c_lflag & T_ICANON))
        return qready < sizeof q - 1;
    return qlen < sizeof q;
}

/* Takes what the UART holds. QEMU hands over the next byte only after the
 * previous one was read (no FIFO: serial.c), a few microseconds later, so
 * an empty receive register is watched for up to spin_ns before giving
 * up; budget_ns bounds the whole call (0: none). */
static void drain(uint64_t spin_ns, uint64_t budget_ns)
{
    uint64_t start = nanotime(), give_up = 0;
    while (room()) {
        int c = console_getc_nonblock();
        if (c == CONSOLE_EOF) {
            host_eof = true;
            qready = qlen;              /* a hangup ends the line being edited */
            continue;                   /* control codes may follow */
        }
        uint64_t now = nanotime();
        if (c < 0) {
            if (!give_up)
                give_up = now + spin_ns;
            if (now >= give_up || (budget_ns && now - start >= budget_ns))
                break;
            cpu_relax();
            continue;
        }
        give_up = 0;
        if (c >= CONSOLE_CONTROL) {
            ctl_code = c & 0xff;
            ctl_need = payload_len(ctl_code);
            ctl_got = 0;
            if (!ctl_need)
                control(ctl_code, ctl_buf);
        } else if (ctl_need) {
            ctl_buf[ctl_got++] = (uint8_t)c;
            if (--ctl_need == 0)
                control(ctl_code, ctl_buf);
        } else if (!host_eof) {
            receive((uint8_t)c);
        }
        if (budget_ns && now - start >= budget_ns)
            break;
    }
}

/* In the timer interrupt: a short look, so ^C and the host's signals
 * arrive while the app computes or sleeps. */
static void tty_tick(uint64_t now)
{
    (void)now;
    drain(20000, 1000000);
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
        drain(READ_SPIN_NS, READ_BUDGET_NS);
        size_t n = len ? take(buf, len) : 0;
        bool eof = false;
        if (!n && eof_at == 0) {
            eof_at = NO_EOF;            /* ^D on an empty line: this read's end of file */
            eof = true;
        }
        bool vmin0 = disciplined() && !(tio.c_lflag & T_ICANON) && tio.c_cc[VMIN] == 0;
        irq_restore(irq);
        if (n || eof || (host_eof && !qready) || vmin0)
            return (long)n;
        if (nonblock)
            return -EAGAIN;
        platform_idle();
    }
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

void tty_init(void)
{
    sched_set_tick_hook(tty_tick);
}

/* A small vsnprintf for diagnostics and tracing (no floating point), the
 * shim's and the unikernel platform's (kprintf) alike. */
#include "shim/fmt.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

/* One converted field: prefix ("-", "0x"), digits or text, padded to width
 * on the left (spaces, or zeros after the prefix) or, with '-', on the right. */
struct field {
    int width;
    char pad;                   /* ' ' or '0' */
    int left;                   /* '-' flag */
};

static int length(const char *s)
{
    int n = 0;
    while (s[n])
        n++;
    return n;
}

static void put_padded(struct out *o, const struct field *f, const char *prefix,
                       const char *body, int body_len)
{
    int len = length(prefix) + body_len;
    int fill = f->width > len ? f->width - len : 0;
    if (!f->left && f->pad == ' ')
        for (; fill; fill--)
            put(o, ' ');
    for (; *prefix; prefix++)
        put(o, *prefix);
    if (!f->left && f->pad == '0')
        for (; fill; fill--)
            put(o, '0');
    for (int i = 0; i < body_len; i++)
        put(o, body[i]);
    for (; fill; fill--)
        put(o, ' ');
}

static void put_num(struct out *o, const struct field *f, unsigned long v, unsigned base,
                    int upper, const char *prefix)
{
    char tmp[24];
    int n = sizeof tmp;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[--n] = digits[v % base];
        v /= base;
    } while (v);
    put_padded(o, f, prefix, tmp + n, (int)sizeof tmp - n);
}

int shim_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        int alt = 0, lng = 0;
        struct field f = { 0, ' ', 0 };
        for (;; fmt++) {
            if (*fmt == '#')
                alt = 1;
            else if (*fmt == '0')
                f.pad = '0';
            else if (*fmt == '-')
                f.left = 1;
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            f.width = f.width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng = 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
            put_num(&o, &f, u, 10, 0, v < 0 ? "-" : "");
            break;
        }
        case 'u':
            put_num(&o, &f, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, 0, "");
            break;
        case 'x':
        case 'X': {
            unsigned long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_num(&o, &f, v, 16, *fmt == 'X', alt && v ? (*fmt == 'X' ? "0X" : "0x") : "");
            break;
        }
        case 'p':
            put_num(&o, &f, (unsigned long)va_arg(ap, void *), 16, 0, "0x");
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(&o, &f, "", &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put_padded(&o, &f, "", s, length(s));
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case 0:
            fmt--;
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int shim_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = shim_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* lwIP's compiler and platform glue for the unikernel (freestanding: no
 * libc; the shim's core provides the string functions, the heap module
 * the memory, the net module the rest: posix-shim/net/stack.c). */
#ifndef PORTAPP_LWIP_ARCH_CC_H
#define PORTAPP_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define LWIP_NO_INTTYPES_H 1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"
#define LWIP_NO_UNISTD_H 1
typedef long ssize_t;           /* x86_64 */
#define SSIZE_MAX 0x7fffffffffffffffL
#define LWIP_NO_CTYPE_H 1
#define LWIP_ERRNO_STDINCLUDE 0
#define BYTE_ORDER LITTLE_ENDIAN

void lwip_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint32_t lwip_port_rand(void);
void *lwip_port_calloc(size_t n, size_t size);
void *shim_alloc(size_t n);
void shim_free(void *p);

#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_PLATFORM_DIAG(x) do { lwip_port_diag x; } while (0)
#define LWIP_RAND() lwip_port_rand()
#define mem_clib_malloc shim_alloc
#define mem_clib_free shim_free
#define mem_clib_calloc lwip_port_calloc

#pragma GCC visibility pop

#endif

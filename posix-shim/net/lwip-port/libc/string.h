/* The <string.h> lwIP includes, for the freestanding kernel: the shim's
 * core defines these (posix-shim/core/string.c). */
#ifndef PORTAPP_LWIP_STRING_H
#define PORTAPP_LWIP_STRING_H
#include <stddef.h>
#pragma GCC visibility push(hidden)
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#pragma GCC visibility pop
#endif

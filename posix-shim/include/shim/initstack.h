/* The initial stack a Linux x86_64 kernel builds for a new program (argc,
 * argv, envp, auxv and the strings they point at), built by one
 * implementation (core/initstack.c) for the linuxu loader and the
 * unikernel's; each passes the values only it knows. */
#ifndef SHIM_INITSTACK_H
#define SHIM_INITSTACK_H

#ifdef __ASSEMBLER__
/* The registers at a program's entry, as Linux leaves them: every general
 * register but rsp (the initial stack) zero, so rdx = 0 (no atexit
 * function for the libc's _start). The entry address is in rax, which the
 * caller then jumps through (Intel syntax). */
    .macro INITSTACK_ENTRY_REGS
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    .endm
#else

#pragma GCC visibility push(hidden)

#include <stdint.h>

/* The auxv entries whose values come from the platform, in the order they
 * are written (AT_PHENT, AT_PAGESZ, AT_FLAGS, AT_SECURE, AT_RANDOM,
 * AT_PLATFORM and AT_EXECFN are the builder's). */
struct initstack_aux {
    uint64_t phdr, phnum;       /* AT_PHDR, AT_PHNUM: the executable's loaded program headers */
    uint64_t base;              /* AT_BASE: the interpreter's bias, 0 without one */
    uint64_t entry;             /* AT_ENTRY: the executable's entry */
    uint64_t uid, euid, gid, egid;
    uint64_t hwcap, hwcap2;     /* AT_HWCAP (CPUID 1 EDX), AT_HWCAP2 */
    uint64_t clktck;            /* AT_CLKTCK */
    uint64_t minsigstksz;       /* AT_MINSIGSTKSZ */
};

struct initstack {
    char *top;                  /* everything goes below, down to floor */
    char *floor;
    int argc;
    const char *const *argv;
    int envc;
    const char *const *envp;
    /* 1: copy the argv and envp strings onto the stack (the unikernel, whose
     * strings are the loader's); 0: point at them where they are (linuxu:
     * the host kernel's copies, above the loader's frame). */
    int copy_strings;
    const char *execfn;         /* AT_EXECFN, always copied */
    const unsigned char *random; /* 16 bytes for AT_RANDOM */
    struct initstack_aux aux;
};

enum initstack_status {
    INITSTACK_OK = 0,
    INITSTACK_ENV_TOO_LARGE,    /* the environment strings do not fit */
    INITSTACK_ARGS_TOO_LARGE,   /* the argument strings do not fit */
    INITSTACK_TOO_LARGE,        /* the vectors do not fit (*words says how many) */
};

/* Writes the stack below in->top; *sp gets the 16-byte aligned stack pointer
 * the program starts with (pointing at argc). *words: the number of 8-byte
 * words of argc, argv, envp and auxv. */
enum initstack_status initstack_build(const struct initstack *in, uint64_t *sp, uint64_t *words);

#pragma GCC visibility pop

#endif /* __ASSEMBLER__ */

#endif

/*
 * The platform's fault-tolerant copy primitives (posix-shim/include/shim/
 * uaccess.h), as Linux's exception tables: every instruction here that may
 * touch a bad address is listed in .ex_table as (instruction, fixup); the
 * page-fault and general-protection handlers (trap.c, extable_fixup) resume
 * a fault at such an instruction at its fixup, which returns a failure.
 * No range check here: uaccess.h's checked helpers do that first.
 *
 * rep movsb / rep stosb fault precisely: rcx then holds the bytes left,
 * which is what the copy routines return.
 */
#include "layout.h"

    .intel_syntax noprefix
    .text

/* One exception table entry: the faulting instruction and where to resume. */
.macro EX_ENTRY insn, fixup
    .pushsection .ex_table, "a"
    .balign 8
    .quad \insn, \fixup
    .popsection
.endm

/* size_t platform_copy_nofault(void *dst, const void *src, size_t n) */
    .globl platform_copy_nofault
    .type platform_copy_nofault, @function
platform_copy_nofault:
    mov rcx, rdx
1:  rep movsb
2:  mov rax, rcx
    ret
    EX_ENTRY 1b, 2b
    .size platform_copy_nofault, . - platform_copy_nofault

/* size_t platform_clear_nofault(void *dst, size_t n) */
    .globl platform_clear_nofault
    .type platform_clear_nofault, @function
platform_clear_nofault:
    mov rcx, rsi
    xor eax, eax
1:  rep stosb
2:  mov rax, rcx
    ret
    EX_ENTRY 1b, 2b
    .size platform_clear_nofault, . - platform_clear_nofault

/* long platform_strncpy_nofault(char *dst, const char *src, size_t n):
 * the length (NUL copied), n when there is no NUL in n bytes, -1 on a fault. */
    .globl platform_strncpy_nofault
    .type platform_strncpy_nofault, @function
platform_strncpy_nofault:
    xor eax, eax
    test rdx, rdx
    jz 3f
2:
1:  movzx ecx, byte ptr [rsi + rax]
4:  mov [rdi + rax], cl
    test cl, cl
    jz 3f
    inc rax
    cmp rax, rdx
    jb 2b
3:  ret
5:  mov rax, -1
    ret
    EX_ENTRY 1b, 5b
    EX_ENTRY 4b, 5b
    .size platform_strncpy_nofault, . - platform_strncpy_nofault

/* int platform_cmpxchg_user_u32(uint32_t *uaddr, uint32_t old, uint32_t new,
 *                               uint32_t *cur) */
    .globl platform_cmpxchg_user_u32
    .type platform_cmpxchg_user_u32, @function
platform_cmpxchg_user_u32:
    mov rax, USER_TOP - 4    /* the word lies wholly in the app's half */
    cmp rdi, rax
    ja 2f
    test dil, 3                         /* and is aligned, as Linux's futex words */
    jnz 2f
    mov eax, esi
1:  lock cmpxchg [rdi], edx
    mov [rcx], eax
    xor eax, eax
    ret
2:  mov eax, -14                        /* -EFAULT */
    ret
    EX_ENTRY 1b, 2b
    .size platform_cmpxchg_user_u32, . - platform_cmpxchg_user_u32

    .section .note.GNU-stack, "", @progbits

/*
 * The platform's fault-tolerant copy primitives (posix-shim/include/shim/
 * uaccess.h), as Linux's exception tables: every instruction here that may
 * touch a bad address is listed in .ex_table as (instruction, fixup); the
 * page-fault and general-protection handlers (trap.c, extable_fixup) resume
 * a fault at such an instruction at its fixup, which returns a failure.
 * No range check here: uaccess.h's checked helpers do that first.
 *
 * The copy loops keep the bytes left in rcx, which a fixup returns.
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

/* size_t platform_copy_nofault(void *dst, const void *src, size_t n)
 * Plain moves, no rep string instructions (QEMU's TCG runs those one
 * iteration per translated-block exit: a 144-byte struct stat cost half a
 * microsecond): 32 bytes per iteration, then quadwords, then bytes. A fault
 * among the quadword moves goes on bytewise from the faulting quadword (the
 * fixups Q1..Q3 first step over the quadwords of the group already copied),
 * as Linux's tail handling does, so the count of bytes not copied is exact:
 * the byte loop stops at the first byte that cannot be copied. */
    .globl platform_copy_nofault
    .type platform_copy_nofault, @function
platform_copy_nofault:
    mov rcx, rdx                    /* bytes left */
    cmp rcx, 32
    jb 2f
1:
10: mov rax, [rsi]
11: mov [rdi], rax
12: mov rax, [rsi + 8]
13: mov [rdi + 8], rax
14: mov rax, [rsi + 16]
15: mov [rdi + 16], rax
16: mov rax, [rsi + 24]
17: mov [rdi + 24], rax
    add rsi, 32
    add rdi, 32
    sub rcx, 32
    cmp rcx, 32
    jae 1b
2:  cmp rcx, 8
    jb 3f
20: mov rax, [rsi]
21: mov [rdi], rax
    add rsi, 8
    add rdi, 8
    sub rcx, 8
    jmp 2b
3:  test rcx, rcx
    jz 6f
4:  mov al, [rsi]
5:  mov [rdi], al
    inc rsi
    inc rdi
    dec rcx
    jnz 4b
6:  mov rax, rcx
    ret
    /* a fault at quadword k of a 32-byte group: skip the k copied */
7:  mov edx, 24
    jmp 9f
8:  mov edx, 16
    jmp 9f
30: mov edx, 8
9:  add rsi, rdx
    add rdi, rdx
    sub rcx, rdx
    jmp 3b
    EX_ENTRY 10b, 3b
    EX_ENTRY 11b, 3b
    EX_ENTRY 12b, 30b
    EX_ENTRY 13b, 30b
    EX_ENTRY 14b, 8b
    EX_ENTRY 15b, 8b
    EX_ENTRY 16b, 7b
    EX_ENTRY 17b, 7b
    EX_ENTRY 20b, 3b
    EX_ENTRY 21b, 3b
    EX_ENTRY 4b, 6b
    EX_ENTRY 5b, 6b
    .size platform_copy_nofault, . - platform_copy_nofault

/* size_t platform_clear_nofault(void *dst, size_t n): as the copy. */
    .globl platform_clear_nofault
    .type platform_clear_nofault, @function
platform_clear_nofault:
    mov rcx, rsi
    xor eax, eax
    cmp rcx, 8
    jb 3f
1:  mov [rdi], rax
    add rdi, 8
    sub rcx, 8
    cmp rcx, 8
    jae 1b
3:  test rcx, rcx
    jz 6f
4:  mov byte ptr [rdi], 0
    inc rdi
    dec rcx
    jnz 4b
6:  mov rax, rcx
    ret
    EX_ENTRY 1b, 3b
    EX_ENTRY 4b, 6b
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

# A tiny static executable with one syscall site per situation the rewriter must
# handle (RewriterUnitTest). Each situation is its own function, so windows and
# constant propagation stay inside it. Run natively it exits with status 42.
        .text
        .globl _start
        .type _start, @function
_start:
        call f_copy
        call f_adjacent
        call f_loop
        call f_pinned
        mov $39, %edi
        call f_wrapper
        mov $102, %edi
        call f_wrapper
        lea number(%rip), %rdi
        call f_unknown
        mov $42, %edi
        mov $60, %eax           # the plain case: mov eax, 60; syscall
        syscall                 # ... and the last bytes of a function
        .size _start, .-_start

# The number reaches rax through another register.
        .type f_copy, @function
f_copy:
        mov $39, %edx
        mov %edx, %eax
        syscall
        ret
        .size f_copy, .-f_copy

# Two sites next to each other: two windows that must not overlap.
        .type f_adjacent, @function
f_adjacent:
        mov $39, %eax
        syscall
        mov $102, %eax
        syscall
        ret
        .size f_adjacent, .-f_adjacent

# A branch lands on the syscall itself: the window may not start before it.
# (The loop counts in esi: syscall, and the shim, may change rcx and r11.)
        .type f_loop, @function
f_loop:
        xor %esi, %esi
        mov $39, %eax
.Lloop_sys:
        syscall
        mov %rax, %rdx
        mov $39, %eax
        inc %esi
        cmp $2, %esi
        jl .Lloop_sys
        ret
        .size f_loop, .-f_loop

# Branch targets on both sides of the syscall: no window, the site stays.
        .type f_pinned, @function
f_pinned:
        xor %esi, %esi
        mov $39, %eax
        test %esi, %esi
        jnz .Lpinned_sys
        mov $39, %eax
.Lpinned_sys:
        syscall
.Lpinned_after:
        mov $39, %eax
        dec %esi
        jg .Lpinned_after
        ret
        .size f_pinned, .-f_pinned

# The number is the caller's rdi: bounded by the two direct calls to {39, 102}.
        .type f_wrapper, @function
f_wrapper:
        mov %rdi, %rax
        syscall
        ret
        .size f_wrapper, .-f_wrapper

# The number is loaded from memory: unknown and unbounded.
        .type f_unknown, @function
f_unknown:
        mov 8(%rdi), %eax
        syscall
        ret
        .size f_unknown, .-f_unknown

# Never called. Too small for a patch: 4 bytes, and the next function starts
# right after the syscall.
        .type f_tiny, @function
f_tiny:
        mov %edi, %eax
        syscall
        .size f_tiny, .-f_tiny
        .type f_after_tiny, @function
f_after_tiny:
        ret
        .size f_after_tiny, .-f_after_tiny

        .data
        .balign 8
number:
        .quad 0
        .quad 39

# Syscall sites whose number the finder bounds only with the rules of
# docs/footprint.md (FootprintSitesTest), each with a twin it must not bound.
# Assembled and analysed, never run.
        .text
        .globl _start
        .type _start, @function
_start:
        call f_padding
        call f_unreached
        call f_noreturn
        call f_returns
        call f_movb
        call f_movb_high
        hlt
        .size _start, .-_start

# A loop head after alignment padding: the padding brings no unknown state.
        .type f_padding, @function
f_padding:
        mov $202, %r9d
        jmp 2f
        .p2align 5
1:      mov (%rdi), %edx
2:      mov %r9d, %eax
        syscall
        test %eax, %eax
        jne 1b
        ret
        .size f_padding, .-f_padding

# The same with an instruction no branch names in place of the padding: it may be
# reached through a pointer, so r9 is unknown there.
        .type f_unreached, @function
f_unreached:
        mov $202, %r9d
        jmp 2f
        mov (%rdi), %r9d
2:      mov %r9d, %eax
        syscall
        ret
        .size f_unreached, .-f_unreached

# After a call that never returns nothing falls through: r9 keeps its value.
        .type f_noreturn, @function
f_noreturn:
        mov $202, %r9d
        jmp 2f
1:      call f_die
2:      mov %r9d, %eax
        syscall
        test %eax, %eax
        js 1b
        ret
        .size f_noreturn, .-f_noreturn

# The same calling a function that returns: the call clobbers r9.
        .type f_returns, @function
f_returns:
        mov $202, %r9d
        jmp 2f
1:      call f_ret
2:      mov %r9d, %eax
        syscall
        test %eax, %eax
        js 1b
        ret
        .size f_returns, .-f_returns

        .type f_die, @function
f_die:
        mov $231, %eax
        xor %edi, %edi
        syscall
        hlt
        .size f_die, .-f_die

        .type f_ret, @function
f_ret:
        ret
        .size f_ret, .-f_ret

# musl's way to load a small number: only the low byte changes.
        .type f_movb, @function
f_movb:
        xor %eax, %eax
        mov $39, %al
        syscall
        ret
        .size f_movb, .-f_movb

# ah is not the low byte: unknown.
        .type f_movb_high, @function
f_movb_high:
        xor %eax, %eax
        mov $1, %ah
        syscall
        ret
        .size f_movb_high, .-f_movb_high

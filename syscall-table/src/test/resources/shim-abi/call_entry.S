/*
 * Test harness for the generated shim entries: calls an entry the way a
 * rewritten site's trampoline does (lea -128(%rsp); call; lea +128(%rsp)),
 * with every general register and RFLAGS loaded from a struct, and stores them
 * all back afterwards so the C side can check what the entry preserved.
 *
 * void call_entry(struct regs *r, void *entry, long misalign)
 *   struct regs: rax rbx rcx rdx rsi rdi rbp r8..r15 rflags (8 bytes each)
 *   misalign: bytes subtracted from rsp first (0 or 8) so both stack
 *   alignments reach the entry.
 */
	.text
	.globl	call_entry
	.type	call_entry, @function
call_entry:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/* every register is loaded with test values below: keep state in memory */
	movq	%rsp, saved_rsp(%rip)
	subq	%rdx, %rsp
	movq	%rdi, regs_ptr(%rip)
	movq	%rsi, entry_ptr(%rip)
	pushq	120(%rdi)		/* rflags */
	popfq
	movq	0(%rdi), %rax
	movq	8(%rdi), %rbx
	movq	16(%rdi), %rcx
	movq	24(%rdi), %rdx
	movq	32(%rdi), %rsi
	movq	48(%rdi), %rbp
	movq	56(%rdi), %r8
	movq	64(%rdi), %r9
	movq	72(%rdi), %r10
	movq	80(%rdi), %r11
	movq	88(%rdi), %r12
	movq	96(%rdi), %r13
	movq	104(%rdi), %r14
	movq	112(%rdi), %r15
	movq	40(%rdi), %rdi
	leaq	-128(%rsp), %rsp
	call	*entry_ptr(%rip)
	leaq	128(%rsp), %rsp
	pushfq
	pushq	%rdi
	movq	regs_ptr(%rip), %rdi
	movq	%rax, 0(%rdi)
	movq	%rbx, 8(%rdi)
	movq	%rcx, 16(%rdi)
	movq	%rdx, 24(%rdi)
	movq	%rsi, 32(%rdi)
	movq	%rbp, 48(%rdi)
	movq	%r8, 56(%rdi)
	movq	%r9, 64(%rdi)
	movq	%r10, 72(%rdi)
	movq	%r11, 80(%rdi)
	movq	%r12, 88(%rdi)
	movq	%r13, 96(%rdi)
	movq	%r14, 104(%rdi)
	movq	%r15, 112(%rdi)
	popq	40(%rdi)
	popq	120(%rdi)
	movq	saved_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	cld
	ret
	.size	call_entry, .-call_entry

/*
 * Stand-ins for the hand-written entries of posix-shim/core, so the generated
 * jumps can be followed: each returns a marker in rax and touches nothing else.
 */
	.globl	shim_entry_generic
	.type	shim_entry_generic, @function
shim_entry_generic:			/* rax = number on entry */
	addq	$1000, %rax
	ret
	.size	shim_entry_generic, .-shim_entry_generic

	.globl	shim_entry_special_rt_sigreturn
	.globl	shim_entry_special_clone
	.globl	shim_entry_special_fork
	.globl	shim_entry_special_vfork
	.globl	shim_entry_special_clone3
shim_entry_special_rt_sigreturn:
	movq	$0x5115, %rax
	ret
shim_entry_special_clone:
	movq	$0x5156, %rax
	ret
shim_entry_special_fork:
	movq	$0x5157, %rax
	ret
shim_entry_special_vfork:
	movq	$0x5158, %rax
	ret
shim_entry_special_clone3:
	movq	$0x5435, %rax
	ret

/*
 * sys_gettid for the test: returns 0 when the entry called it with a 16-byte
 * aligned stack ((rsp + 8) % 16 == 0 at a function's first instruction) and
 * DF clear, else the misalignment and/or 0x400 (DF).
 */
	.globl	sys_gettid
	.type	sys_gettid, @function
sys_gettid:
	leaq	8(%rsp), %rax
	andq	$15, %rax
	pushfq
	popq	%rcx
	andq	$0x400, %rcx
	orq	%rcx, %rax
	ret
	.size	sys_gettid, .-sys_gettid

	.bss
	.p2align 3
saved_rsp:	.quad 0
regs_ptr:	.quad 0
entry_ptr:	.quad 0

	.section .note.GNU-stack,"",@progbits

# Compiler flags of everything linked into the kernel image (the platform
# base here and, through platforms/qemu/Makefile, the shim).  See Makefile
# for why each is there.  The stack protector uses one global canary
# (-mstack-protector-guard=global: %fs:0x28 is the app's TCB, not ours),
# seeded from RDRAND in boot.S before any C runs; trap.c has
# __stack_chk_fail.  LTO=1 adds link-time optimization (the specialized
# images port-app builds); the self-test image builds without it.
KERNEL_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding \
	-fstack-protector-strong -mstack-protector-guard=global -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel \
	-mgeneral-regs-only -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fcf-protection=none -ffunction-sections -fdata-sections
LTO ?=
KERNEL_LTO := $(if $(filter 1,$(LTO)),-flto=auto -flto-partition=one,)

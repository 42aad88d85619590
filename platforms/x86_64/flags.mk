# Compiler flags of everything linked into the kernel image (the platform
# base here and, through platforms/qemu/Makefile, the shim).  See Makefile
# for why each is there.  LTO=1 adds link-time optimization (the specialized
# images port-app builds); the self-test image builds without it.
KERNEL_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel \
	-mgeneral-regs-only -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fcf-protection=none -ffunction-sections -fdata-sections
LTO ?=
KERNEL_LTO := $(if $(filter 1,$(LTO)),-flto=auto -flto-partition=one,)

/* SPDX-License-Identifier: ISC */
/*
 * rom_blob.S: boot's QEMU firmware (rom.S, as the Makefile
 * builds it into build/boot/rom.bin) linked into bin/boot, which writes
 * it out for each run: boot needs no file beside itself.
 */
	.section .rodata, "a", @progbits
	.balign	16
	.globl	boot_rom_image, boot_rom_image_end
boot_rom_image:
	.incbin	"build/boot/rom.bin"
boot_rom_image_end:

	.section .note.GNU-stack, "", @progbits

/* SPDX-License-Identifier: ISC */
/*
 * rom_blob.S: boot's QEMU firmwares (rom.S and pvh_rom.S, as the
 * Makefile builds them into build/boot/rom.bin and pvh_rom.bin) linked
 * into bin/boot, which writes one out for each run: boot needs no file
 * beside itself.
 */
	.section .rodata, "a", @progbits
	.balign	16
	.globl	boot_rom_image, boot_rom_image_end
boot_rom_image:
	.incbin	"build/boot/rom.bin"
boot_rom_image_end:

	.balign	16
	.globl	boot_pvh_rom_image, boot_pvh_rom_image_end
boot_pvh_rom_image:
	.incbin	"build/boot/pvh_rom.bin"
boot_pvh_rom_image_end:

	.section .note.GNU-stack, "", @progbits

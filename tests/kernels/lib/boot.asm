; tests/kernels/lib/boot.asm: multiboot v1 header and 32-bit entry shared by the ELF test kernels.
; The loader leaves EAX = magic and EBX = info pointer; we hand both to kmain(magic, info).
bits 32

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003          ; page-aligned modules, memory info wanted

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .bss
align 16
global stack_bottom, stack_top
stack_bottom:
    resb 16384
stack_top:

section .text
global _start
extern kmain, kexit
_start:
    cli
    mov esp, stack_top
    cld
    push ebx
    push eax
    call kmain
    push dword 0x01                  ; kmain returned: report failure
    call kexit
.hang:
    hlt
    jmp .hang

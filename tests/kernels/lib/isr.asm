; tests/kernels/lib/isr.asm: 256 interrupt entry stubs funnelling into isr_dispatch(struct frame*).
; Stubs for vectors without a CPU error code push a zero so the frame layout is uniform.
bits 32
section .text
extern isr_dispatch

%macro STUB 1
isr_stub_%1:
%if (%1 = 8) || (%1 = 10) || (%1 = 11) || (%1 = 12) || (%1 = 13) || (%1 = 14) || (%1 = 17) || (%1 = 21) || (%1 = 29) || (%1 = 30)
%else
    push dword 0
%endif
    push dword %1
    jmp isr_common
%endmacro

%assign i 0
%rep 256
STUB i
%assign i i+1
%endrep

isr_common:
    pusha
    push ds
    push es
    push fs
    push gs
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    cld
    push esp
    call isr_dispatch
    add esp, 4
global isr_return
isr_return:
    pop gs
    pop fs
    pop es
    pop ds
    popa
    add esp, 8
    iretd

section .rodata
global isr_stubs
align 4
isr_stubs:
%assign i 0
%rep 256
    dd isr_stub_ %+ i
%assign i i+1
%endrep

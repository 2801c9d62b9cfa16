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

; void enter_user(u32 eip, u32 esp): runs ring-3 code (flat SEL_UCODE32/SEL_UDATA) until it executes
; int USER_EXIT_VECTOR, then returns to the caller at ring 0. user_init() installs the gate and TSS.
section .bss
saved_kernel_esp: resd 1
section .text
global enter_user, user_exit_entry
enter_user:
    push ebp
    push ebx
    push esi
    push edi
    mov [saved_kernel_esp], esp
    mov eax, [esp + 20]
    mov ecx, [esp + 24]
    push dword 0x43              ; SS = SEL_UDATA | 3
    push ecx
    pushfd
    push dword 0x3b              ; CS = SEL_UCODE32 | 3
    push eax
    mov dx, 0x43
    mov ds, dx
    mov es, dx
    mov fs, dx
    mov gs, dx
    iretd

user_exit_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [saved_kernel_esp]
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

; tests/kernels/modes.asm: mode switches for modes.c. real_mode_trip: 32-bit PM -> 16-bit PM segment
; -> real mode (CR0.PE=0, far jump) -> real-mode checks -> back to 32-bit PM. modes64: long-mode
; checks run through long_call, including a far call into a compatibility-mode (32-bit) segment.
bits 32
%include "long.inc"
extern kputs, puts64, g_idt64
COM1 equ 0x3f8
RM_BASE equ 0x7000               ; the real-mode blob runs here, CS = DS = RM_BASE >> 4
RM_SEG equ RM_BASE >> 4
%define OFF(x) ((x) - rm_blob)

section .data
global rm_results
saved_esp: dd 0

section .text
; void real_mode_trip(void): copies the blob below 1 MiB and runs it; results stay at
; RM_BASE + OFF(rm_results_in_blob) (see modes.c).
global real_mode_trip, rm_results_offset
real_mode_trip:
    pushad
    mov [saved_esp], esp
    mov esi, rm_blob
    mov edi, RM_BASE
    mov ecx, rm_blob_end - rm_blob
    rep movsb
    jmp 0x18:RM_BASE + OFF(pm16_entry)     ; SEL_CODE16: 16-bit PM, base 0

back_in_pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [saved_esp]
    popad
    ret

rm_results_offset: dd OFF(rm_results_in_blob)

; --- position-independent 16-bit code, copied to RM_BASE ---
bits 16
rm_blob:
pm16_entry:
    mov ax, 0x20                 ; SEL_DATA16: 64 KiB limits for the real-mode segment caches
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, cr0
    and al, 0xfe
    mov cr0, eax
    jmp RM_SEG:OFF(real_entry)
real_entry:
    mov ax, RM_SEG
    mov ds, ax
    mov es, ax
    xor ax, ax
    mov ss, ax
    mov sp, RM_BASE - 16
    lidt [OFF(ivt_pointer)]
    mov si, OFF(msg_real)
    call rm_puts
    ; An IVT entry for int 0x61 pointing into the blob.
    xor ax, ax
    mov fs, ax
    mov word [fs:0x61 * 4], OFF(rm_int61)
    mov word [fs:0x61 * 4 + 2], RM_SEG
    mov bx, 0
    stc
    int 0x61
    mov [OFF(rm_results_in_blob) + 0], bx          ; 0xbeef from the handler
    setc al
    mov [OFF(rm_results_in_blob) + 2], al          ; CF survived the iret
    ; Segment arithmetic: 0x0800:0x0010 and 0x0801:0x0000 are the same byte.
    mov ax, 0x0800
    mov es, ax
    mov word [es:0x0010], 0x5a5a
    mov ax, 0x0801
    mov es, ax
    mov ax, [es:0x0000]
    mov [OFF(rm_results_in_blob) + 4], ax
    ; 16-bit arithmetic wraps at 64 Ki; 66/67 prefixes reach 32-bit registers and addressing.
    mov ax, 0xffff
    add ax, 1
    setc bl
    mov [OFF(rm_results_in_blob) + 6], ax
    mov [OFF(rm_results_in_blob) + 8], bl
    mov eax, 0x12345678          ; 66 prefix
    add eax, eax
    mov [OFF(rm_results_in_blob) + 12], eax
    mov esi, OFF(rm_data)        ; 67 prefix: 32-bit addressing in real mode
    mov ecx, 1
    mov edx, [esi + ecx * 4]
    mov [OFF(rm_results_in_blob) + 16], edx
    mov ax, RM_SEG
    mov es, ax
    ; back to protected mode
    mov si, OFF(msg_back)
    call rm_puts
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:back_in_pm32

rm_int61:
    mov bx, 0xbeef
    inc word [cs:OFF(rm_int_count)]
    iret

rm_puts:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    jmp rm_puts
.done:
    ret

align 4
ivt_pointer:
    dw 0x3ff
    dd 0
rm_data: dd 0x11111111, 0xcafef00d
rm_int_count: dw 0
msg_real: db "real mode: hello from 16-bit code", 10, 0
msg_back: db "real mode: switching back to protected mode", 10, 0
align 4
rm_results_in_blob: times 8 dd 0
rm_blob_end:

; --- long mode ---
; modes64_results: 0 rol result, 1 mul high, 2 rip-relative lea == absolute, 3 rip-relative load,
; 4 #UD frame rip, 5 #UD handler rsp, 6 compat result, 7 cs after compat return, 8 push width
bits 64
section .bss
global modes64_results, ist_stack_top
modes64_results: resq 12
alignb 16
ist_stack: resb 1024
ist_stack_top:
section .data
align 8
qword_data: dq 0x0123456789abcdef
compat_ptr:
    dd compat_fn
    dw 0x08                      ; SEL_CODE32
section .text
global modes64, ud_ist_handler, ud_site64
modes64:
    push rbx
    lea rsi, [rel msg_long]
    call puts64
    mov rax, 0x123456789abcdef0
    rol rax, 8
    mov [modes64_results + 0 * 8], rax
    mov rax, 0xffffffffffffffff
    mov rbx, 0x10
    mul rbx                      ; rdx:rax = 0xf:fffffffffffffff0
    mov [modes64_results + 1 * 8], rdx
    lea rax, [rel qword_data]
    mov ebx, qword_data
    cmp rax, rbx
    sete al
    movzx eax, al
    mov [modes64_results + 2 * 8], rax
    mov rax, [rel qword_data]
    mov [modes64_results + 3 * 8], rax
    ; #UD through a 64-bit interrupt gate with IST1 (set up by modes.c).
ud_site64:
    ud2
    ; A far call into a compatibility-mode code segment and back.
    call far dword [rel compat_ptr]
    mov [modes64_results + 6 * 8], rax
    mov [modes64_results + 7 * 8], cs
    mov rax, rsp
    push ax                      ; 66 prefix: a 2-byte push still works in 64-bit mode
    pop ax
    push rbx
    sub rax, rsp
    pop rbx
    mov [modes64_results + 8 * 8], rax
    pop rbx
    ret

ud_ist_handler:
    mov [modes64_results + 5 * 8], rsp
    mov rax, [rsp]
    mov [modes64_results + 4 * 8], rax
    add qword [rsp], 2           ; skip the ud2
    iretq

bits 32
compat_fn:
    push msg_compat
    call kputs
    add esp, 4
    mov eax, 0xffffffff
    add eax, 2                   ; 32-bit arithmetic: wraps to 1
    retf

section .rodata
msg_long: db "long mode: hello from 64-bit code", 10, 0
msg_compat: db "compatibility mode: hello from 32-bit code called from 64-bit", 10, 0

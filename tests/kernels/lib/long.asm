; tests/kernels/lib/long.asm: 64-bit support for the test kernels. long_call(cr3, fn, arg) enters
; long mode from 32-bit protected mode (paging off), calls the 64-bit fn(arg) with the 64-bit IDT
; g_idt64 loaded, and comes back to 32-bit protected mode with paging off. Exception stubs for
; vectors 0-31 implement TRY64 (lib/long.inc) and panic on anything unexpected.
bits 32
COM1 equ 0x3f8
EFER equ 0xc0000080
extern g_resume, g_fault, kexit

section .bss
align 16
global g_idt64
g_idt64: resq 512
global g_resume_rsp
g_resume_rsp: resq 1
idtr32: resb 8
saved_cr4: resd 1

section .data
align 8
idtr64:
    dw 4095
    dd g_idt64
    dd 0

section .text
global long_call
long_call:
    push ebp
    push ebx
    push esi
    push edi
    mov eax, [esp + 20]
    mov cr3, eax
    mov eax, cr4
    mov [saved_cr4], eax
    or eax, 0x20                     ; PAE
    mov cr4, eax
    mov ecx, EFER
    rdmsr
    or eax, 0x100                    ; LME
    wrmsr
    sidt [idtr32]
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax                     ; IA-32e mode, still in a 32-bit (compatibility) segment
    jmp 0x28:.long
bits 64
.long:
    lidt [idtr64]
    mov esi, [rsp + 24]
    mov edi, [rsp + 28]
    call rsi
    mov ebx, eax
    push 0x08
    push .compat
    retfq
bits 32
.compat:
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov ecx, EFER
    rdmsr
    and eax, ~0x100
    wrmsr
    mov eax, [saved_cr4]
    mov cr4, eax
    lidt [idtr32]
    mov eax, ebx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

bits 64
%macro STUB64 1
isr64_%1:
%if (%1 = 8) || (%1 = 10) || (%1 = 11) || (%1 = 12) || (%1 = 13) || (%1 = 14) || (%1 = 17) || (%1 = 21) || (%1 = 29) || (%1 = 30)
%else
    push 0
%endif
    push %1
    jmp isr64_common
%endmacro

%assign i 0
%rep 32
STUB64 i
%assign i i+1
%endrep

; Stack: vector, error, rip, cs, rflags, rsp, ss.
isr64_common:
    push rax
    push rbx
    mov eax, [g_resume]
    test eax, eax
    jz panic64
    inc dword [g_fault]
    mov rbx, [rsp + 16]
    mov [g_fault + 4], ebx
    mov rbx, [rsp + 24]
    mov [g_fault + 8], ebx
    mov rbx, [rsp + 32]
    mov [g_fault + 12], ebx
    mov rbx, [rsp + 40]
    mov [g_fault + 16], ebx
    mov rbx, cr2
    mov [g_fault + 20], ebx
    mov [rsp + 32], rax              ; resume rip
    mov rax, [g_resume_rsp]
    mov [rsp + 56], rax              ; and the stack pointer of the TRY64
    and qword [rsp + 48], ~0x40100   ; clear TF and AC in the resumed rflags
    mov dword [g_resume], 0
    pop rbx
    pop rax
    add rsp, 16
    iretq

panic64:
    lea rsi, [rel msg_panic]
    call puts64
    mov rax, [rsp + 16]
    call puthex64
    lea rsi, [rel msg_error]
    call puts64
    mov rax, [rsp + 24]
    call puthex64
    lea rsi, [rel msg_rip]
    call puts64
    mov rax, [rsp + 32]
    call puthex64
    lea rsi, [rel msg_cr2]
    call puts64
    mov rax, cr2
    call puthex64
    mov al, 10
    call putc64
    mov al, 1
    out 0xf4, al
.hang:
    cli
    hlt
    jmp .hang

; putc64: AL to COM1 (polled). Preserves everything.
global putc64, puts64, puthex64
putc64:
    push rdx
    push rax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop rax
    mov dx, COM1
    out dx, al
    pop rdx
    ret

; puts64: the NUL-terminated string at RSI.
puts64:
    push rax
    push rsi
.next:
    lodsb
    test al, al
    jz .done
    call putc64
    jmp .next
.done:
    pop rsi
    pop rax
    ret

; puthex64: RAX in hex, without leading zeros.
puthex64:
    push rax
    push rcx
    push rdx
    mov rdx, rax
    mov ecx, 60
.skip:
    mov rax, rdx
    shr rax, cl
    test al, 0xf
    jnz .digits
    sub ecx, 4
    jnz .skip
.digits:
    mov rax, rdx
    shr rax, cl
    and eax, 0xf
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    call putc64
    sub ecx, 4
    jge .digits
    pop rdx
    pop rcx
    pop rax
    ret

section .rodata
msg_panic: db "panic64: unexpected vector 0x", 0
msg_error: db " error 0x", 0
msg_rip: db " rip 0x", 0
msg_cr2: db " cr2 0x", 0
global isr64_stubs
align 4
isr64_stubs:
%assign i 0
%rep 32
    dd isr64_ %+ i
%assign i i+1
%endrep

; tests/kernels/rings.asm: entry points for rings.c: SYSENTER and call-gate targets (32-bit), and the
; long-mode part run through long_call: SYSRET to ring 3, SYSCALL back with SWAPGS, and an
; interrupt from ring 3 through a DPL-3 gate that switches to IST1.
bits 32
extern g_resume

section .bss
global sysenter_seen, callgate_seen, ring64_seen
sysenter_seen: resd 4            ; cs, ss, esp, eflags
callgate_seen: resd 6            ; cs, esp, pushed eip, pushed cs, pushed esp, pushed ss
ring64_seen: resq 16
kernel_rsp: resq 1
global kgs_area, ugs_area
kgs_area: resq 2                 ; [0] user rsp saved by the syscall entry, [1] kernel stack
ugs_area: resq 1
alignb 16
syscall_stack: resb 1024
global syscall_stack_top
syscall_stack_top:

section .text
global sysenter_entry
sysenter_entry:
    mov [sysenter_seen], cs
    mov [sysenter_seen + 4], ss
    mov [sysenter_seen + 8], esp
    pushfd
    pop dword [sysenter_seen + 12]
    mov eax, 0x5e5e
    sysexit                      ; to EDX with ESP = ECX

global callgate_entry
callgate_entry:
    mov [callgate_seen], cs
    mov [callgate_seen + 4], esp
    mov eax, [esp]
    mov [callgate_seen + 8], eax
    mov eax, [esp + 4]
    mov [callgate_seen + 12], eax
    mov eax, [esp + 8]
    mov [callgate_seen + 16], eax
    mov eax, [esp + 12]
    mov [callgate_seen + 20], eax
    mov eax, 0xca11
    retf

; ring64_seen: 0 user cs, 1 user ss, 2 syscall cs, 3 syscall ss, 4 syscall rflags, 5 rcx, 6 r11,
; 7 user rsp seen through gs, 8 rax after sysret, 9 user gs:0, 10 ist rsp, 11 ist frame cs,
; 12 ist frame ss, 13 cs after sysret, 14 rflags after sysret, 15 user rsp before syscall
bits 64
global ring64_run, ring64_syscall_entry, ring64_ist_entry, ring64_user_syscall_ret
ring64_run:
    push rbx
    push rbp
    mov [kernel_rsp], rsp
    mov ecx, 0xc0000081          ; STAR: SYSCALL CS 0x28 (SS 0x30), SYSRET base 0x38
    xor eax, eax
    mov edx, 0x00380028
    wrmsr
    mov ecx, 0xc0000082          ; LSTAR
    mov eax, ring64_syscall_entry
    xor edx, edx
    wrmsr
    mov ecx, 0xc0000084          ; SFMASK: IF, DF
    mov eax, 0x600
    xor edx, edx
    wrmsr
    mov ecx, 0xc0000101          ; GS base: the user's area
    mov eax, ugs_area
    xor edx, edx
    wrmsr
    mov ecx, 0xc0000102          ; KernelGSbase: the kernel's area
    mov eax, kgs_area
    xor edx, edx
    wrmsr
    mov eax, syscall_stack_top
    mov [kgs_area + 8], rax
    mov qword [ugs_area], 0x7777
    mov ecx, ring64_user
    mov r11d, 0x2                ; ring-3 rflags: IF=0
    mov esp, user_stack_top      ; zero-extends: the stack is below 4 GiB
    o64 sysret

ring64_user:
    mov [ring64_seen + 0 * 8], cs
    mov [ring64_seen + 1 * 8], ss
    std
    mov [ring64_seen + 15 * 8], rsp
    mov eax, 0x1234
    syscall
ring64_user_syscall_ret:
    mov [ring64_seen + 8 * 8], rax
    mov [ring64_seen + 13 * 8], cs
    pushfq
    pop qword [ring64_seen + 14 * 8]
    cld
    mov rax, [gs:0]
    mov [ring64_seen + 9 * 8], rax
    int 0x82

ring64_syscall_entry:
    swapgs
    mov [gs:0], rsp
    mov rsp, [gs:8]
    mov [ring64_seen + 2 * 8], cs
    mov [ring64_seen + 3 * 8], ss
    pushfq
    pop qword [ring64_seen + 4 * 8]
    mov [ring64_seen + 5 * 8], rcx
    mov [ring64_seen + 6 * 8], r11
    mov rax, [gs:0]
    mov [ring64_seen + 7 * 8], rax
    mov rsp, [gs:0]
    swapgs
    mov eax, 0x4321
    o64 sysret

ring64_ist_entry:
    mov [ring64_seen + 10 * 8], rsp
    mov rax, [rsp + 8]
    mov [ring64_seen + 11 * 8], rax
    mov rax, [rsp + 32]
    mov [ring64_seen + 12 * 8], rax
    mov rsp, [kernel_rsp]
    mov ax, 0x10
    mov ss, ax
    pop rbp
    pop rbx
    ret

section .bss
alignb 16
    resb 1024
user_stack_top:

; tests/kernels/faults.asm: the long-mode part of faults.c. df64 points RSP into an unmapped page
; and touches unmapped memory: delivering the #PF pushes onto the unmapped stack, the second #PF
; escalates to #DF, whose gate (faults.c) switches to the IST1 stack. lib/long.asm's stub records
; it in g_fault and resumes at the TRY64 label with the good stack.
bits 64
%include "long.inc"

section .bss
global df64_results
df64_results: resq 4            ; fault count, vector, error code, cr2

section .text
global df64
df64:
    push rbx
    mov dword [g_fault], 0
    TRY64 .resume
    mov ebx, 0xffe00000          ; unmapped (faults.c clears the last 2 MiB page)
    mov esp, 0xfffff000          ; so is the stack
    mov eax, [rbx]
.resume:
    END_TRY64
    mov eax, [g_fault]
    mov [df64_results + 0 * 8], rax
    mov eax, [g_fault + 4]
    mov [df64_results + 1 * 8], rax
    mov eax, [g_fault + 8]
    mov [df64_results + 2 * 8], rax
    mov eax, [g_fault + 20]
    mov [df64_results + 3 * 8], rax
    pop rbx
    xor eax, eax
    ret

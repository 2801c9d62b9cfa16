; tests/guest/demo_workload.asm: the bundled guest workload of `make demo` (flat 64-bit binary,
; loaded at 0x400000 by `doppel raw`). Integer work only: a prime sieve, an LCG-filled array
; sorted by insertion sort, an FNV-1a hash over it and Collatz step counts. Leaves a checksum in
; RAX and halts.
bits 64
org 0x400000

HEAP     equ 0x10000000            ; 64 MiB read/write data region of `doppel raw`
SIEVE_N  equ 2000000
SORT_N   equ 3000
ARRAY    equ HEAP + SIEVE_N + 4096

start:
    ; --- sieve of Eratosthenes over SIEVE_N bytes ------------------------------------------
    mov rdi, HEAP
    mov rcx, SIEVE_N
    mov al, 1
    rep stosb                      ; all candidates start as prime
    mov byte [HEAP], 0
    mov byte [HEAP + 1], 0
    mov rbx, 2
.outer:
    mov rax, rbx
    imul rax, rbx
    cmp rax, SIEVE_N
    jae .count
    cmp byte [HEAP + rbx], 0
    je .next
.mark:
    mov byte [HEAP + rax], 0
    add rax, rbx
    cmp rax, SIEVE_N
    jb .mark
.next:
    inc rbx
    jmp .outer
.count:
    xor r12, r12                   ; number of primes
    xor rcx, rcx
.count_loop:
    movzx eax, byte [HEAP + rcx]
    add r12, rax
    inc rcx
    cmp rcx, SIEVE_N
    jb .count_loop

    ; --- fill an array with an LCG and insertion-sort it ---------------------------------
    mov r8, 12345
    xor rcx, rcx
.fill:
    imul r8, r8, 6364136223846793005 & 0x7fffffff
    add r8, 1442695041
    mov rax, r8
    shr rax, 17
    mov [ARRAY + rcx*8], rax
    inc rcx
    cmp rcx, SORT_N
    jb .fill
    mov rsi, 1
.sort_outer:
    cmp rsi, SORT_N
    jae .hash
    mov rax, [ARRAY + rsi*8]
    mov rdi, rsi
.sort_inner:
    test rdi, rdi
    jz .sort_place
    mov rdx, [ARRAY + rdi*8 - 8]
    cmp rdx, rax
    jbe .sort_place
    mov [ARRAY + rdi*8], rdx
    dec rdi
    jmp .sort_inner
.sort_place:
    mov [ARRAY + rdi*8], rax
    inc rsi
    jmp .sort_outer

    ; --- FNV-1a over the sorted bytes ----------------------------------------------------
.hash:
    mov r13, 0xcbf29ce484222325
    mov r9, 0x100000001b3
    xor rcx, rcx
.hash_loop:
    movzx eax, byte [ARRAY + rcx]
    xor r13, rax
    imul r13, r9
    inc rcx
    cmp rcx, SORT_N * 8
    jb .hash_loop

    ; --- Collatz step counts for 1..200000 -----------------------------------------------
    xor r14, r14
    mov rbx, 1
.collatz_outer:
    mov rax, rbx
.collatz:
    cmp rax, 1
    je .collatz_done
    inc r14
    test al, 1
    jz .even
    lea rax, [rax + rax*2 + 1]
    jmp .collatz
.even:
    shr rax, 1
    jmp .collatz
.collatz_done:
    inc rbx
    cmp rbx, 200000
    jbe .collatz_outer

    ; --- checksum --------------------------------------------------------------------------
    mov rax, r12
    shl rax, 32
    xor rax, r13
    add rax, r14
    hlt

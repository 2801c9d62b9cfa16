; tests/kernels/paging64.asm: the 64-bit probe run by paging64.c through long_call: one access of a
; kind to an address, under TRY64 so a #PF is recorded and the probe returns.
bits 64
%include "long.inc"

section .text
global probe64, read_site64, write_site64, stac_site64
; probe64(edi = address | kind): kind 0 read, 1 write, 2 call, 3 read inside stac/clac.
probe64:
    mov eax, edi
    and eax, 7
    and edi, ~7
    TRY64 probe_done
    cmp eax, 1
    je probe_write
    cmp eax, 2
    je probe_exec
    cmp eax, 3
    je probe_stac
read_site64:
    mov eax, [rdi]
    jmp probe_done
probe_write:
write_site64:
    mov dword [rdi], 0x600d
    xor eax, eax
    jmp probe_done
probe_exec:
    call rdi
    jmp probe_done
probe_stac:
    stac
stac_site64:
    mov eax, [rdi]
    clac
probe_done:
    END_TRY64
    ret

; tests/kernels/aout.asm: the minimal hello as a flat binary using the multiboot a.out kludge
; (header flags bit 16 with load_addr/load_end_addr/bss_end_addr/entry_addr). nasm -f bin.
bits 32
org 0x100000

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010003          ; page align, memory info, addresses in the header
COM1 equ 0x3f8
SCAN_BYTES equ 8192

header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd header                    ; header_addr
    dd header                    ; load_addr: the file is loaded from its first byte
    dd load_end                  ; load_end_addr
    dd bss_end                   ; bss_end_addr: the loader zeroes [load_end, bss_end)
    dd entry                     ; entry_addr

entry:
    mov esp, stack_top
    mov [magic], eax
    mov [info], ebx
    call serial_init
    mov esi, msg_hello
    call puts
    ; The command line is "<image path> <append>": print the path's last component.
    mov ebx, [info]
    mov esi, [ebx + 16]
    mov edi, esi
.scan:
    mov al, [esi]
    test al, al
    jz .word_end
    cmp al, ' '
    je .word_end
    inc esi
    cmp al, '/'
    jne .scan
    mov edi, esi
    jmp .scan
.word_end:
    push esi
.base:
    cmp edi, [esp]
    je .base_done
    mov al, [edi]
    call putc
    inc edi
    jmp .base
.base_done:
    pop esi
    push esi
    mov esi, msg_args
    call puts
    pop esi
    cmp byte [esi], 0
    je .no_args
    inc esi
    call puts
.no_args:
    mov esi, msg_args_end
    call puts

    mov esi, msg_magic
    cmp dword [magic], 0x2BADB002
    call result
    ; bss_end_addr: the loader zeroes up to bss_end; check the part above the stack.
    mov esi, msg_bss
    mov edi, scan_start
    mov ecx, SCAN_BYTES / 4
    xor eax, eax
    repe scasd
    call result
    mov esi, msg_entry
    cmp dword [entry_check], 0x600dc0de
    call result
    mov al, [failures]
    test al, al
    mov al, 0x10
    jz .exit
    mov al, 0x01
.exit:
    out 0xf4, al
.hang:
    cli
    hlt
    jmp .hang

; Prints the message at ESI followed by ": ok" when ZF is set, ": BAD" otherwise.
result:
    pushf
    call puts
    popf
    mov esi, msg_ok
    je .print
    mov esi, msg_bad
    inc byte [failures]
.print:
    jmp puts

serial_init:
    mov dx, COM1 + 1
    mov al, 0
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    mov dx, COM1 + 1
    mov al, 0
    out dx, al
    mov dx, COM1 + 3
    mov al, 3
    out dx, al
    ret

putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

msg_hello: db "hello from ", 0
msg_args: db 10, "args: '", 0
msg_args_end: db "'", 10, 0
msg_magic: db "boot magic", 0
msg_bss: db "bss zeroed", 0
msg_entry: db "data loaded", 0
msg_ok: db ": ok", 10, 0
msg_bad: db ": BAD", 10, 0
entry_check: dd 0x600dc0de

align 4
load_end:

section .bss align=4
magic: resd 1
info: resd 1
failures: resb 1
alignb 16
    resb 4096
stack_top:
scan_start:
    resb SCAN_BYTES
bss_end:

/* linux-user/vdso/vdso32.S: the i386 guest vDSO: __kernel_vsyscall (glibc's system call entry
   through AT_SYSINFO), the signal return trampolines and the time functions, each with int $0x80
   (doppel emulates the call). */
  .text
  .globl __kernel_vsyscall; .type __kernel_vsyscall, @function
__kernel_vsyscall:
  .cfi_startproc
  int $0x80
  ret
  .cfi_endproc
  .size __kernel_vsyscall, . - __kernel_vsyscall

  .globl __kernel_sigreturn; .type __kernel_sigreturn, @function
__kernel_sigreturn:
  popl %eax
  movl $119, %eax
  int $0x80
  .size __kernel_sigreturn, . - __kernel_sigreturn

  .globl __kernel_rt_sigreturn; .type __kernel_rt_sigreturn, @function
__kernel_rt_sigreturn:
  movl $173, %eax
  int $0x80
  .size __kernel_rt_sigreturn, . - __kernel_rt_sigreturn

/* Two stack arguments into EBX and ECX. */
#define ENTRY2(name, nr) \
  .globl name; .type name, @function; name: .cfi_startproc; \
  pushl %ebx; .cfi_adjust_cfa_offset 4; .cfi_rel_offset %ebx, 0; \
  movl 8(%esp), %ebx; movl 12(%esp), %ecx; movl $nr, %eax; int $0x80; \
  popl %ebx; .cfi_adjust_cfa_offset -4; .cfi_restore %ebx; ret; .cfi_endproc; \
  .size name, . - name

ENTRY2(__vdso_clock_gettime, 265)
ENTRY2(__vdso_clock_gettime64, 403)
ENTRY2(__vdso_gettimeofday, 78)
ENTRY2(__vdso_time, 13)
ENTRY2(__vdso_clock_getres, 266)
  .section .note.GNU-stack, "", @progbits

// bench/guest/interp.c: branchy code: a switch-dispatched bytecode interpreter running Collatz step
// counts for 1..N (data-dependent branches on every guest instruction).
#include "common.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, AND, LT, EQ, JZ, JMP, DUP, POP, HALT };


// Variables: 0 = n (limit), 1 = i, 2 = x, 3 = steps, 4 = total; the program is assembled in main.
typedef struct { int64_t code[256]; int n; } Asm;
static void emit(Asm* a, int64_t v) { a->code[a->n++] = v; }

static int64_t run(const int64_t* code, int64_t* vars) {
  int64_t stack[64];
  int sp = 0;
  int pc = 0;
  for (;;) {
    switch (code[pc++]) {
      case PUSH: stack[sp++] = code[pc++]; break;
      case LOAD: stack[sp++] = vars[code[pc++]]; break;
      case STORE: vars[code[pc++]] = stack[--sp]; break;
      case ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case DIV: sp--; stack[sp - 1] /= stack[sp]; break;
      case AND: sp--; stack[sp - 1] &= stack[sp]; break;
      case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case JZ: { int64_t t = code[pc++]; if (!stack[--sp]) pc = (int)t; break; }
      case JMP: pc = (int)code[pc]; break;
      case DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case POP: sp--; break;
      case HALT: return vars[4];
      default: return -1;
    }
  }
}

int main(int argc, char** argv) {
  long n = bench_arg(argc, argv, 60000);
  Asm a = {{0}, 0};
  emit(&a, PUSH); emit(&a, 1); emit(&a, STORE); emit(&a, 1);
  int outer = a.n;
  emit(&a, LOAD); emit(&a, 1); emit(&a, LOAD); emit(&a, 0); emit(&a, LT); emit(&a, JZ);
  int exit_outer = a.n; emit(&a, 0);
  emit(&a, LOAD); emit(&a, 1); emit(&a, STORE); emit(&a, 2); emit(&a, PUSH); emit(&a, 0); emit(&a, STORE); emit(&a, 3);
  int inner = a.n;
  emit(&a, LOAD); emit(&a, 2); emit(&a, PUSH); emit(&a, 1); emit(&a, EQ); emit(&a, PUSH); emit(&a, 0); emit(&a, EQ);
  emit(&a, JZ); int exit_inner = a.n; emit(&a, 0);
  emit(&a, LOAD); emit(&a, 2); emit(&a, PUSH); emit(&a, 1); emit(&a, AND); emit(&a, JZ); int even = a.n; emit(&a, 0);
  emit(&a, LOAD); emit(&a, 2); emit(&a, PUSH); emit(&a, 3); emit(&a, MUL); emit(&a, PUSH); emit(&a, 1); emit(&a, ADD);
  emit(&a, STORE); emit(&a, 2); emit(&a, JMP); int to_count1 = a.n; emit(&a, 0);
  a.code[even] = a.n;
  emit(&a, LOAD); emit(&a, 2); emit(&a, PUSH); emit(&a, 2); emit(&a, DIV); emit(&a, STORE); emit(&a, 2);
  a.code[to_count1] = a.n;
  emit(&a, LOAD); emit(&a, 3); emit(&a, PUSH); emit(&a, 1); emit(&a, ADD); emit(&a, STORE); emit(&a, 3);
  emit(&a, JMP); emit(&a, inner);
  a.code[exit_inner] = a.n;
  // total = total * 31 + steps (wrapping), i = i + 1
  emit(&a, LOAD); emit(&a, 4); emit(&a, PUSH); emit(&a, 31); emit(&a, MUL); emit(&a, LOAD); emit(&a, 3); emit(&a, ADD);
  emit(&a, STORE); emit(&a, 4);
  emit(&a, LOAD); emit(&a, 1); emit(&a, PUSH); emit(&a, 1); emit(&a, ADD); emit(&a, STORE); emit(&a, 1);
  emit(&a, JMP); emit(&a, outer);
  a.code[exit_outer] = a.n;
  emit(&a, HALT);

  int64_t vars[8] = {n, 0, 0, 0, 0, 0, 0, 0};
  int64_t total = run(a.code, vars);
  bench_print("interp", (uint64_t)total);
  return 0;
}

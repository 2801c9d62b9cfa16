// runtime/x87.cpp: the x87 unit. Each guest x87 instruction runs as the same instruction on the
// host FPU, between an FRSTOR of the guest state and an FNSAVE back, so results, status flags,
// tags, stack faults and rounding/precision control are the hardware's bit for bit. This needs an
// x86 host; a portable 80-bit softfloat is future work.
#include "runtime/x87.h"

#include <cstring>

#include "ir/x87.h"

// One 16-byte stub per encoding, called as uint64_t stub(image, rflags, operand): loads the guest
// RFLAGS (FCMOVcc reads them) and the guest FPU state, runs the instruction, saves the state and
// returns RFLAGS (FCOMI writes them). FNSAVE is non-waiting and leaves the host FPU initialised
// (the ABI state), so a deferred unmasked exception never traps in the host.
//   register forms: 8 opcodes x 64 ModRM bytes C0..FF
//   memory forms:   8 opcodes x 8 reg fields, the operand at [rdx] (ModRM 00 reg 010)
asm(R"(
  .pushsection .text
  .p2align 4
  .globl doppel_x87_reg_stubs
  .hidden doppel_x87_reg_stubs
doppel_x87_reg_stubs:
  .irp op, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf
  .set doppel_x87_m, 0xc0
  .rept 64
  .p2align 4
  push %rsi
  popfq
  frstor (%rdi)
  .byte \op, doppel_x87_m
  fnsave (%rdi)
  pushfq
  pop %rax
  ret
  .set doppel_x87_m, doppel_x87_m + 1
  .endr
  .endr
  .p2align 4
  .globl doppel_x87_mem_stubs
  .hidden doppel_x87_mem_stubs
doppel_x87_mem_stubs:
  .irp op, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf
  .set doppel_x87_r, 0
  .rept 8
  .p2align 4
  push %rsi
  popfq
  frstor (%rdi)
  .byte \op, (doppel_x87_r << 3) | 2
  fnsave (%rdi)
  pushfq
  pop %rax
  ret
  .set doppel_x87_r, doppel_x87_r + 1
  .endr
  .endr
  .popsection
)");

extern "C" const uint8_t doppel_x87_reg_stubs[];
extern "C" const uint8_t doppel_x87_mem_stubs[];

namespace doppel {

namespace {

using Stub = uint64_t (*)(uint8_t* image, uint64_t rflags, uint8_t* operand);
constexpr uint64_t kStatusFlags = 0x8D5;  // CF PF AF ZF SF OF
constexpr uint32_t kMathFault = 16;       // #MF

// The 108-byte FNSAVE image (32-bit protected-mode format).
constexpr unsigned kImgFcw = 0, kImgFsw = 4, kImgFtw = 8, kImgFip = 12, kImgFcs = 16, kImgFop = 18,
                   kImgFdp = 20, kImgFds = 24, kImgRegs = 28;
constexpr unsigned kImageSize = 108;
constexpr unsigned kEnvSize = 28;

unsigned Top(uint16_t fsw) { return (fsw >> 11) & 7; }

void Put16(uint8_t* p, uint16_t v) { memcpy(p, &v, 2); }
void Put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
uint16_t Get16(const uint8_t* p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}
uint32_t Get32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

// The two-bit tag of a non-empty register from its contents: 0 valid, 1 zero, 2 special.
unsigned FullTag(const uint8_t* r) {
  uint64_t mant;
  memcpy(&mant, r, 8);
  unsigned exp = Get16(r + 8) & 0x7fff;
  if (exp == 0x7fff) return 2;
  if (exp == 0) return mant == 0 ? 1 : 2;
  return (mant >> 63) ? 0 : 2;  // an unnormal (integer bit clear) is special
}

uint16_t FullTagWord(const X87State& x) {
  uint16_t tw = 0;
  for (unsigned i = 0; i < 8; ++i) {
    unsigned t = (x.ftw >> i & 1) ? FullTag(x.fpr[i]) : 3;
    tw |= static_cast<uint16_t>(t << (2 * i));
  }
  return tw;
}

uint8_t AbridgedTags(uint16_t full) {
  uint8_t ftw = 0;
  for (unsigned i = 0; i < 8; ++i) {
    if (((full >> (2 * i)) & 3) != 3) ftw |= static_cast<uint8_t>(1u << i);
  }
  return ftw;
}

// The environment part (FCW..FDS) with the guest's pointers; reserved halves as Intel writes them.
void WriteEnv(const X87State& x, uint8_t* img) {
  memset(img, 0, kEnvSize);
  Put16(img + kImgFcw, x.fcw);
  Put16(img + kImgFcw + 2, 0xffff);
  Put16(img + kImgFsw, x.fsw);
  Put16(img + kImgFsw + 2, 0xffff);
  Put16(img + kImgFtw, FullTagWord(x));
  Put16(img + kImgFtw + 2, 0xffff);
  Put32(img + kImgFip, static_cast<uint32_t>(x.fip));
  Put16(img + kImgFcs, x.fcs);
  Put16(img + kImgFop, x.fop & 0x7ff);
  Put32(img + kImgFdp, static_cast<uint32_t>(x.fdp));
  Put16(img + kImgFds, x.fds);
  Put16(img + kImgFds + 2, 0xffff);
}

void ToImage(const X87State& x, uint8_t* img) {
  WriteEnv(x, img);
  unsigned top = Top(x.fsw);
  for (unsigned i = 0; i < 8; ++i) memcpy(img + kImgRegs + 10 * i, x.fpr[(top + i) & 7], 10);
}

// Words, tags and registers; the pointers are the caller's business.
void FromImage(const uint8_t* img, X87State& x) {
  x.fcw = Get16(img + kImgFcw);
  x.fsw = Get16(img + kImgFsw);
  x.ftw = AbridgedTags(Get16(img + kImgFtw));
  unsigned top = Top(x.fsw);
  for (unsigned i = 0; i < 8; ++i) {
    uint8_t* r = x.fpr[(top + i) & 7];
    memcpy(r, img + kImgRegs + 10 * i, 10);
    memset(r + 10, 0, 6);
  }
}

void PointersFromEnv(const uint8_t* env, X87State& x) {
  x.fip = Get32(env + kImgFip);
  x.fcs = Get16(env + kImgFcs);
  x.fop = Get16(env + kImgFop) & 0x7ff;
  x.fdp = Get32(env + kImgFdp);
  x.fds = Get16(env + kImgFds);
}

// The size of the value an FST/FIST/FISTTP/FBSTP/FNSTCW/FNSTSW form stores.
unsigned StoreBytes(uint8_t opcode, unsigned reg) {
  switch (opcode) {
    case 0xd9: return reg == 7 ? 2 : 4;
    case 0xdb: return reg == 7 ? 10 : 4;
    case 0xdd: return reg == 7 ? 2 : 8;
    default: return reg == 6 ? 10 : reg == 7 ? 8 : 2;  // 0xdf
  }
}

Stub StubFor(uint8_t opcode, uint8_t modrm, bool memory) {
  unsigned op = opcode - 0xd8u;
  if (memory)
    return reinterpret_cast<Stub>(doppel_x87_mem_stubs + 16 * (op * 8 + ((modrm >> 3) & 7)));
  return reinterpret_cast<Stub>(doppel_x87_reg_stubs + 16 * (op * 64 + (modrm - 0xc0u)));
}

// FXSAVE/FXRSTOR through the operand buffer (opcode 0x0F, not an FPU encoding): the 32-byte
// header, then ST(0)..ST(7) packed 10 bytes each (112 bytes, the buffer's size). modrm bit 0:
// restore (else save); bit 1: the FXSAVE64 layout with 64-bit FIP/FDP.
void FxsaveBuffer(CpuState& s, uint8_t modrm) {
  X87State& x = s.x87;
  uint8_t image[160];
  if (modrm & 1) {
    memcpy(image, x.opbuf, 32);
    for (unsigned i = 0; i < 8; ++i) memcpy(image + 32 + 16 * i, x.opbuf + 32 + 10 * i, 10);
    X87FromFxsave(s, image);
    if (modrm & 2) {
      memcpy(&x.fip, x.opbuf + 8, 8);
      memcpy(&x.fdp, x.opbuf + 16, 8);
    }
    return;
  }
  X87ToFxsave(s, image);
  // FOP-deprecating CPUs (as the host) store FOP only with an unmasked exception pending (ES).
  if (!(x.fsw & 0x80)) Put16(image + 6, 0);
  if (modrm & 2) {
    memcpy(image + 8, &x.fip, 8);
    memcpy(image + 16, &x.fdp, 8);
  }
  memcpy(x.opbuf, image, 32);
  for (unsigned i = 0; i < 8; ++i) memcpy(x.opbuf + 32 + 10 * i, image + 32 + 16 * i, 10);
}

}  // namespace

uint64_t X87Execute(CpuState* s, uint64_t imm, uint64_t rflags, uint64_t ea, uint64_t pc) {
  X87State& x = s->x87;
  const uint32_t flags = ir::X87Flags(imm);
  const uint8_t opcode = ir::X87Opcode(imm);
  const uint8_t modrm = ir::X87Modrm(imm);
  // The #MF of an earlier instruction's unmasked exception is taken here (the SDM's deferred
  // model): ES stands for "unmasked exception pending", as the FERR# logic uses it.
  if ((flags & ir::kX87Waiting) && (x.fsw & 0x80)) {
    s->exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
    s->exception_vector = kMathFault;
    s->error_code = 0;
    s->rip = pc;
    return rflags;
  }
  if (opcode == 0x9b) return rflags;  // FWAIT: only the check above
  if (opcode == 0x0f) {
    FxsaveBuffer(*s, modrm);
    return rflags;
  }

  const bool memory = flags & ir::kX87Memory;
  if (memory && (flags & ir::kX87StoreForm) && !(flags & ir::kX87Commit) && (x.fcw & 0x19) != 0x19)
    PeekGuestMemory(s, ea, x.opbuf, StoreBytes(opcode, (modrm >> 3) & 7));
  alignas(16) uint8_t img[kImageSize];
  ToImage(x, img);
  uint64_t out = StubFor(opcode, modrm, memory)(img, (rflags & kStatusFlags) | 0x2, x.opbuf);
  out = (rflags & ~kStatusFlags) | (out & kStatusFlags);

  const unsigned reg = (modrm >> 3) & 7;
  const bool stores_env = memory && ((opcode == 0xd9 && reg == 6) || (opcode == 0xdd && reg == 6));
  // Images the guest sees carry its own pointers, not the host stub's.
  if (stores_env) {
    uint8_t env[kEnvSize];
    WriteEnv(x, env);
    // FCW..FTW as the host stored them (FNSTENV/FNSAVE computed the tags), pointers as the guest's.
    memcpy(x.opbuf + kImgFip, env + kImgFip, kEnvSize - kImgFip);
  }
  if (!(flags & ir::kX87Commit)) return out;

  FromImage(img, x);
  const bool loads_env = memory && ((opcode == 0xd9 && reg == 4) || (opcode == 0xdd && reg == 4));
  const bool init = (opcode == 0xdb && modrm == 0xe3) || (opcode == 0xdd && memory && reg == 6);
  if (loads_env) {
    PointersFromEnv(x.opbuf, x);
  } else if (init) {
    x.fip = x.fdp = 0;
    x.fop = 0;
    x.fcs = x.fds = 0;
  } else if (!(flags & ir::kX87Control)) {
    x.fip = pc;
    // As the host (FOP deprecation, CPUID.7.0:EBX.FDP_EXCPTN_ONLY): FOP and FDP change only for
    // an instruction that leaves an unmasked exception pending; FNSTENV/FNSAVE store them as-is.
    if (x.fsw & 0x80) {
      x.fop = static_cast<uint16_t>(((opcode & 7u) << 8) | ir::X87GuestModrm(imm));
      if (memory) x.fdp = ea;
    }
  }
  return out;
}

void X87Enter(CpuState* s) {
  X87State& x = s->x87;
  if (x.live || (x.fcw & 0x3f) != 0x3f || (x.fsw & 0x80)) return;
  alignas(16) uint8_t img[kImageSize];
  ToImage(x, img);
  asm volatile("frstor %0" : : "m"(img));
  x.live = 1;
}

void X87Leave(CpuState* s) {
  X87State& x = s->x87;
  if (!x.live) return;
  alignas(16) uint8_t img[kImageSize];
  asm volatile("fnsave %0" : "=m"(img));
  FromImage(img, x);  // the pointers were kept in x by the inline code
  if (x.undo) {
    x.fsw = x.undo_fsw;  // with the TOP of before the store
    if (x.undo == 2) x.ftw |= static_cast<uint8_t>(1u << Top(x.fsw));
  }
  x.live = x.undo = 0;
}

void X87ToFxsave(const CpuState& s, uint8_t* image) {
  const X87State& x = s.x87;
  Put16(image + 0, x.fcw);
  Put16(image + 2, x.fsw);
  image[4] = x.ftw;
  image[5] = 0;
  Put16(image + 6, x.fop & 0x7ff);
  Put32(image + 8, static_cast<uint32_t>(x.fip));
  Put16(image + 12, x.fcs);
  Put16(image + 14, 0);
  Put32(image + 16, static_cast<uint32_t>(x.fdp));
  Put16(image + 20, x.fds);
  Put16(image + 22, 0);
  unsigned top = Top(x.fsw);
  for (unsigned i = 0; i < 8; ++i) {
    memcpy(image + 32 + 16 * i, x.fpr[(top + i) & 7], 10);
    memset(image + 32 + 16 * i + 10, 0, 6);
  }
}

void X87FromFxsave(CpuState& s, const uint8_t* image) {
  X87State& x = s.x87;
  x.fcw = Get16(image + 0);
  x.fsw = Get16(image + 2);
  x.ftw = image[4];
  x.fop = Get16(image + 6) & 0x7ff;
  x.fip = Get32(image + 8);
  x.fcs = Get16(image + 12);
  x.fdp = Get32(image + 16);
  x.fds = Get16(image + 20);
  unsigned top = Top(x.fsw);
  for (unsigned i = 0; i < 8; ++i) {
    memcpy(x.fpr[(top + i) & 7], image + 32 + 16 * i, 10);
    memset(x.fpr[(top + i) & 7] + 10, 0, 6);
  }
}

}  // namespace doppel

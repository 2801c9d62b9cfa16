// frontend/x86/translate.cpp: the block translation loop: fetch, decode with Zydis in the guest's
// mode, look the mnemonic up in the translator table, stop at block boundaries.
#include "frontend/x86/translate.h"

#include <Zydis/Zydis.h>

#include "frontend/x86/context.h"

namespace doppel::frontend {

namespace {

struct ModeSetup {
  ZydisMachineMode machine;
  ZydisStackWidth stack;
  unsigned bits;
};

ModeSetup SetupFor(uint32_t mode) {
  switch (mode & kModeSizeMask) {
    case kMode32: return {ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32, 32};
    case kMode16: return {ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16, 16};
    default: return {ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64, 64};
  }
}

constexpr uint64_t kPage = 4096;

// The exception an x87/MMX/SSE instruction raises under CR0.TS/EM (SDM Vol. 3A 2.5, Table 12-8),
// or 0 when it runs.
uint32_t FpuUnavailable(const ZydisDecodedInstruction& d, uint32_t mode) {
  constexpr uint32_t kNm = ir::kDeviceNotAvailable, kUd = ir::kInvalidOpcode;
  const bool ts = mode & kModeTs, em = mode & kModeEm, mp = mode & kModeMp;
  switch (d.mnemonic) {
    case ZYDIS_MNEMONIC_FWAIT: return ts && mp ? kNm : 0;
    case ZYDIS_MNEMONIC_FXSAVE:
    case ZYDIS_MNEMONIC_FXSAVE64:
    case ZYDIS_MNEMONIC_FXRSTOR:
    case ZYDIS_MNEMONIC_FXRSTOR64: return em || ts ? kNm : 0;
    default: break;
  }
  switch (d.meta.isa_ext) {
    case ZYDIS_ISA_EXT_X87: return em || ts ? kNm : 0;
    case ZYDIS_ISA_EXT_MMX:
    case ZYDIS_ISA_EXT_SSE:
    case ZYDIS_ISA_EXT_SSE2:
    case ZYDIS_ISA_EXT_SSE3:
    case ZYDIS_ISA_EXT_SSSE3:
    case ZYDIS_ISA_EXT_SSE4: return em ? kUd : ts ? kNm : 0;
    default: return 0;
  }
}

// True when the instruction writes memory through a CS override: #GP(0) in protected mode, where
// code segments are never writable (SDM Vol. 3A 3.4.5.1).
bool WritesThroughCs(const Insn& insn) {
  for (unsigned i = 0; i < insn.d.operand_count; ++i) {
    const ZydisDecodedOperand& op = insn.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type == ZYDIS_MEMOP_TYPE_MEM &&
        op.mem.segment == ZYDIS_REGISTER_CS && (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
      return true;
  }
  return false;
}

}  // namespace

void TranslateBlock(uint64_t pc, uint32_t mode, CodeReader& code, const TranslateOptions& opts,
                    ir::Block& out) {
  ModeSetup setup = SetupFor(mode);
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, setup.machine, setup.stack);
  out.guest_pc = pc;
  out.mode = mode;
  ir::Emitter emitter(out);
  const uint64_t first_page = (opts.code_base + pc) / kPage;
  const uint64_t pc_mask = setup.bits == 64 ? ~0ull : setup.bits == 32 ? 0xffffffffull : 0xffff;

  Insn insn;
  insn.mode = mode;
  insn.code_bits = setup.bits;
  insn.stack_bits = setup.bits;
  if (setup.bits != 64 && (mode & kModeStackFlip)) insn.stack_bits = setup.bits == 32 ? 16 : 32;
  while (!emitter.HasTerminal()) {
    bool boundary = (opts.code_base + pc) / kPage != first_page || pc == opts.stop_before;
    if (out.guest_insns >= opts.max_insns || (out.guest_insns > 0 && boundary)) {
      emitter.Link(pc);
      break;
    }
    emitter.SetGuestPc(pc);
    if (pc > opts.code_limit) {  // before the fetch: the limit outranks a page fault
      emitter.Exit(ir::ExitReason::kException, pc, ir::kGeneralProtection, 0);
      break;
    }
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    size_t got = code.Fetch(opts.code_base + pc, bytes, sizeof bytes);
    if (got == 0) {
      // The fetch itself faults: raise #PF at this instruction (the runtime fills in CR2).
      emitter.Exit(ir::ExitReason::kException, pc, ir::kPageFault, 0x10);
      break;
    }
    ZyanStatus st = ZydisDecoderDecodeFull(&decoder, bytes, got, &insn.d, insn.ops);
    if (!ZYAN_SUCCESS(st)) {
      // Undecodable bytes: #UD, or #PF when the instruction runs past readable memory.
      bool truncated = got < sizeof bytes && st == ZYDIS_STATUS_NO_MORE_DATA;
      emitter.Exit(ir::ExitReason::kException, pc, truncated ? ir::kPageFault : ir::kInvalidOpcode,
                   truncated ? 0x10 : 0);
      break;
    }
    if (pc + insn.d.length - 1 > opts.code_limit) {
      emitter.Exit(ir::ExitReason::kException, pc, ir::kGeneralProtection, 0);
      break;
    }
    insn.pc = pc;
    insn.next_pc = (pc + insn.d.length) & pc_mask;
    if (mode & (kModeTs | kModeEm)) {
      if (uint32_t vector = FpuUnavailable(insn.d, mode)) {
        emitter.Exit(ir::ExitReason::kException, pc, vector);
        break;
      }
    }
    if (setup.bits != 64 && !(mode & kModeReal) && WritesThroughCs(insn)) {
      emitter.Exit(ir::ExitReason::kException, pc, ir::kGeneralProtection, 0);
      break;
    }
    Translator fn = Translators().Find(insn.d.mnemonic);
    if (fn == nullptr) {
      emitter.Exit(ir::ExitReason::kException, pc, ir::kInvalidOpcode);
      break;
    }
    Context ctx(emitter, insn);
    const size_t mark = out.insts.size();
    fn(ctx);
    if (ctx.unsupported) {
      out.insts.resize(mark);
      out.term = ir::Terminal{};
      emitter.Exit(ir::ExitReason::kException, pc, ir::kInvalidOpcode);
      break;
    }
    out.guest_insns++;
    out.guest_bytes += insn.d.length;
    pc = insn.next_pc;
    if (ctx.dispatch_after && !emitter.HasTerminal()) emitter.Exit(ir::ExitReason::kDispatch, pc);
  }
}

}  // namespace doppel::frontend

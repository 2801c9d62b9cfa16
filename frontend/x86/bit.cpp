// frontend/x86/bit.cpp: (to be written)
#include "frontend/x86/context.h"

namespace doppel::frontend {

void RegisterBit(TranslatorTable&) {}

}  // namespace doppel::frontend

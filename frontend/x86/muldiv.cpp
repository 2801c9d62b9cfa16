// frontend/x86/muldiv.cpp: (to be written)
#include "frontend/x86/context.h"

namespace doppel::frontend {

void RegisterMulDiv(TranslatorTable&) {}

}  // namespace doppel::frontend

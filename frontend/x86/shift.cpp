// frontend/x86/shift.cpp: (to be written)
#include "frontend/x86/context.h"

namespace doppel::frontend {

void RegisterShift(TranslatorTable&) {}

}  // namespace doppel::frontend

// frontend/x86/condition.cpp: (to be written)
#include "frontend/x86/context.h"

namespace doppel::frontend {

void RegisterCondition(TranslatorTable&) {}

}  // namespace doppel::frontend

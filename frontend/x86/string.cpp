// frontend/x86/string.cpp: (to be written)
#include "frontend/x86/context.h"

namespace doppel::frontend {

void RegisterString(TranslatorTable&) {}

}  // namespace doppel::frontend

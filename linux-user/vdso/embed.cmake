# linux-user/vdso/embed.cmake: writes a built vDSO image into a C++ source as a byte array
# (cmake -DINPUT=... -DOUTPUT=... -DNAME=... -P embed.cmake), so doppel carries it inside.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" len)
math(EXPR size "${len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by linux-user/vdso/embed.cmake.\n"
  "#include <cstddef>\n#include <cstdint>\n"
  "namespace doppel::linux_user {\n"
  "extern const uint8_t ${NAME}[];\nextern const size_t ${NAME}Size;\n"
  "alignas(4096) const uint8_t ${NAME}[] = {${bytes}};\n"
  "const size_t ${NAME}Size = ${size};\n"
  "}  // namespace doppel::linux_user\n")

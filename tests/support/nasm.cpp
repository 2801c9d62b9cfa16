// tests/support/nasm.cpp: runs nasm on a temporary file.
#include "tests/support/nasm.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace doppel::test {

std::vector<uint8_t> Assemble(const std::string& source, uint64_t org, unsigned bits) {
  char dir[] = "/tmp/doppel-nasm-XXXXXX";
  if (!mkdtemp(dir)) abort();
  std::string src = std::string(dir) + "/in.asm", bin = std::string(dir) + "/out.bin",
              err = std::string(dir) + "/err.txt";
  {
    std::ofstream f(src);
    f << "bits " << bits << "\norg " << org << "\n" << source << "\n";
  }
  std::string cmd = "nasm -f bin -o " + bin + " " + src + " 2> " + err;
  if (system(cmd.c_str()) != 0) {
    std::ifstream e(err);
    std::string text((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    fprintf(stderr, "nasm failed:\n%s\nsource:\n%s\n", text.c_str(), source.c_str());
    abort();
  }
  std::ifstream f(bin, std::ios::binary);
  std::vector<uint8_t> out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  unlink(src.c_str());
  unlink(bin.c_str());
  unlink(err.c_str());
  rmdir(dir);
  return out;
}

}  // namespace doppel::test

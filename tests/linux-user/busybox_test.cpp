// tests/linux-user/busybox_test.cpp: busybox-static under doppel: a shell script of applets
// (pipelines, command substitution, fork/exec of applets through PATH) must print the same bytes
// and exit with the same status as its native run, under each engine.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/engines.h"
#include "tests/support/shell.h"

namespace doppel {
namespace {

constexpr const char* kBusybox = "/bin/busybox";

// Applets reached through PATH (symlinks in bin/; busybox sh runs most in a forked child);
// inputs are made by the script itself so every run sees the same bytes.
constexpr const char* kScript = R"SH(
cd "$1" || exit 99
echo "== shell"
x=$(echo sub | tr a-z A-Z); echo "subst=$x"
i=0; while [ $i -lt 3 ]; do i=$((i + 1)); printf '%s,' $i; done; echo
f() { return 7; }; f; echo "func=$?"
(exit 5); echo "subshell=$?"
case abc in a*) echo case-ok ;; *) echo case-bad ;; esac
echo a b c | { read p q r; echo "$r$q$p"; }
false | true; echo "pipe=$?"
set -o pipefail; yes | head -2; echo "sigpipe=$?"; set +o pipefail
echo "== inputs"
seq 1 300 > nums
printf 'pear:3\napple:10\nfig:7\napple:2\npear:1\n' > fruit
mkdir -p d/e && echo hello > d/a.txt && echo world > d/e/b.txt && echo x > d/c.dat
echo "== text"
sort -rn nums | head -3
sort fruit | uniq -c
cut -d: -f1 fruit | sort | uniq | wc -l
wc -l nums; wc -c < nums
awk -F: '{s[$1] += $2} END {for (k in s) n++; print n, s["apple"], s["pear"]}' fruit
awk 'NR % 50 == 0 {printf "%d %.3f %s\n", $1, $1 / 7, substr("abcdef", NR % 4 + 1, 2)}' nums
sed -n 's/^\(1.\)5$/x\1y/p' nums
sed 's/a/A/g; /fig/d' fruit
grep -c 7 nums; grep -E '^(1|2)5$' nums; grep -v e fruit
tr -d '\n' < fruit | tr ':' ' '; echo
echo "== numbers"
expr 6 \* 7; expr length "hello"; expr 17 % 5
printf '%5d|%-4s|%x|%o|%c\n' 42 ab 255 8 Z
echo $((3 * (4 + 5) - 2)) $((1 << 20))
echo "== hashes"
sha256sum nums fruit
md5sum nums
gzip -c < nums > nums.gz; wc -c < nums.gz; gunzip -c nums.gz | md5sum
echo "== files"
tar -cf t.tar d && tar -tf t.tar | sort
mkdir out && tar -xf t.tar -C out && cat out/d/a.txt out/d/e/b.txt
find d -name '*.txt' | sort
find d -type d | sort
ls d; ls -1 d/e
cat d/a.txt d/c.dat
date -u -d @0
date -u -d @1000000000 '+%Y-%m-%d %H:%M:%S'
ls /nonexistent-doppel-path 2>&1; echo "ls=$?"
echo "== exec"
printf '#!%s/sh\necho "script: $# $*"\nexit 4\n' "$2" > s1.sh && chmod +x s1.sh
./s1.sh a 'b c'; echo "script=$?"
echo 'echo "no shebang: $1"' > s2.sh && chmod +x s2.sh && ./s2.sh arg
cp "$2/../busybox" busybox && ./busybox echo exec-ok && ./busybox sh -c 'exit 6'; echo "bb=$?"
./busybox readlink /proc/self/exe | sed 's|.*/||'
./busybox sh -c 'exec ./busybox printf "%s\n" replaced; echo not-reached'
./missing-program 2>/dev/null; echo "missing=$?"
exit 3
)SH";

using Result = test::ShellResult;
using test::Shell;

class BusyboxRun : public testing::TestWithParam<Engine> {};

TEST_P(BusyboxRun, AppletScriptMatchesNative) {
  if (access(kBusybox, X_OK) != 0) {
    GTEST_SKIP() << kBusybox << " is missing: install busybox-static (make deps)";
  }
  std::string root = std::string(DOPPEL_GUEST_DIR) + "/busybox-" + EngineName(GetParam()) + "-" +
                     std::to_string(getpid());
  std::string bin = root + "/bin", work = root + "/work", script = root + "/script.sh";
  Shell("rm -rf " + root);
  mkdir(root.c_str(), 0755);
  mkdir(bin.c_str(), 0755);
  for (const char* applet :
       {"sh",   "echo",      "seq",    "sort", "uniq",     "wc",   "awk",  "sed",
        "grep", "sha256sum", "md5sum", "gzip", "gunzip",   "tar",  "find", "ls",
        "cat",  "cut",       "tr",     "expr", "printf",   "date", "head", "mkdir",
        "true", "false",     "chmod",  "cp",   "readlink", "yes"}) {
    ASSERT_EQ(symlink(kBusybox, (bin + "/" + applet).c_str()), 0) << applet;
  }
  ASSERT_EQ(symlink(kBusybox, (root + "/busybox").c_str()), 0);
  std::ofstream(script) << kScript;
  // The same work directory path for both runs: only relative paths are printed anyway.
  auto run = [&](const std::string& runner) {
    Shell("rm -rf " + work);
    mkdir(work.c_str(), 0755);
    return Shell("env -i PATH=" + bin + " LC_ALL=C TZ=UTC " + runner + " " + bin + "/sh " + script +
                 " " + work + " " + bin);
  };
  Result native = run("");
  Result emulated = run(std::string(DOPPEL_BINARY) + " run --engine " + EngineName(GetParam()));
  EXPECT_EQ(native.status, 3) << native.out;
  EXPECT_EQ(native.status, emulated.status) << emulated.out;
  EXPECT_EQ(native.out, emulated.out);
  Shell("rm -rf " + root);
}

std::vector<Engine> RunEngines() {
  std::vector<Engine> engines;
  for (Engine e : test::AllEngines()) {
    if (e != Engine::kCompare) engines.push_back(e);
  }
  return engines;
}

INSTANTIATE_TEST_SUITE_P(Engines, BusyboxRun, testing::ValuesIn(RunEngines()),
                         test::EngineTestName);

}  // namespace
}  // namespace doppel

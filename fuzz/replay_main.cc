// Replays inputs through a fuzz target without libFuzzer (docs/testing.md):
//
//   replay_<target> FILE_OR_DIR...
//
// Every regular file named, and every regular file directly inside a
// directory named (sorted by name), is passed once to LLVMFuzzerTestOneInput.
// A directory that does not exist is skipped with a note (a target may have no
// regression inputs yet). A target's failed check aborts, so a nonzero exit
// (or a sanitizer report) names the input printed last.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz.h"

extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

int RunFile(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return 1;
  }
  std::string data = ss.str();
  std::printf("replay: %s (%zu bytes)\n", p.c_str(), data.size());
  std::fflush(stdout);
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t n = 0;
  int failures = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(arg)) {
        if (e.is_regular_file() && e.path().filename().string()[0] != '.')
          files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        failures += RunFile(f);
        ++n;
      }
    } else if (std::filesystem::is_regular_file(arg, ec)) {
      failures += RunFile(arg);
      ++n;
    } else {
      std::printf("replay: %s does not exist (nothing to replay there)\n", argv[i]);
    }
  }
  if (failures) {
    std::printf("replay: %d of %zu inputs could not be read\n", failures, n);
    return 1;
  }
  std::printf("replay: %zu inputs, all passed\n", n);
  return 0;
}

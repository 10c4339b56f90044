// Shared by the fuzz targets (docs/testing.md, "Fuzzing").
//
// Each target is one .cc that defines LLVMFuzzerTestOneInput. It is linked two
// ways: with libFuzzer (clang, -DTRACELEDGER_FUZZ=ON, scripts/fuzz) to search
// for inputs, and with fuzz/replay_main.cc (any compiler, the normal build) to
// replay the committed corpus and regression inputs under ctest.
//
// A target checks its oracle with FUZZ_CHECK: a failed check prints what was
// expected and aborts, which both drivers report as a crash.
#ifndef TRACELEDGER_FUZZ_FUZZ_H_
#define TRACELEDGER_FUZZ_FUZZ_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace traceledger::fuzz {

[[noreturn]] void CheckFailed(const char* file, int line, const char* cond,
                              const std::string& message);

// Reads a whole file (the fixed data of a target, fuzz/data/...); aborts if it
// cannot, since a target without its data would test nothing.
std::string ReadDataFile(const std::string& name);

// A fresh empty directory for a target's files, removed at exit.
std::string TempDir(const std::string& tag);

// Consumes bytes from the front of a fuzz input.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : s_(reinterpret_cast<const char*>(data), size) {}
  explicit Input(std::string_view s) : s_(s) {}
  bool empty() const { return s_.empty(); }
  size_t size() const { return s_.size(); }
  uint8_t Byte() {
    if (s_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(s_[0]);
    s_.remove_prefix(1);
    return b;
  }
  uint32_t U16() { return (uint32_t{Byte()} << 8) | Byte(); }
  // Up to the next `sep` (consumed, not returned), or the rest.
  std::string_view Until(char sep) {
    size_t p = s_.find(sep);
    std::string_view out = s_.substr(0, p);
    s_.remove_prefix(p == std::string_view::npos ? s_.size() : p + 1);
    return out;
  }
  std::string_view Rest() {
    std::string_view out = s_;
    s_ = {};
    return out;
  }

 private:
  std::string_view s_;
};

}  // namespace traceledger::fuzz

#define FUZZ_CHECK(cond, message)                                             \
  do {                                                                        \
    if (__builtin_expect(!(cond), 0)) {                                       \
      ::traceledger::fuzz::CheckFailed(__FILE__, __LINE__, #cond, (message)); \
    }                                                                         \
  } while (0)

#endif  // TRACELEDGER_FUZZ_FUZZ_H_

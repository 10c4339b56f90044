// A tiny binary codec for state records: fixed-width little-endian integers and
// length-prefixed strings. Deterministic by construction (no maps, no floats
// formatted as text). Decoding never reads past the input.
//
// Thread-safety: values; no shared state.
#ifndef TRACELEDGER_CONTRACTS_CODEC_H_
#define TRACELEDGER_CONTRACTS_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace traceledger {

class Writer {
 public:
  // `reserve`: the usual encoded size of the record (one allocation, and no
  // more capacity kept by the stored value than it needs).
  explicit Writer(size_t reserve = 192) { out_.reserve(reserve); }
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void U32(uint32_t v) { Fixed(&v, 4); }
  void U64(uint64_t v) { Fixed(&v, 8); }
  void I64(int64_t v) { Fixed(&v, 8); }
  void F64(double v) { Fixed(&v, 8); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  void Strs(const std::vector<std::string>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) Str(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  // State is little-endian on every supported platform (x86-64, aarch64).
  void Fixed(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) { return Fixed(v, 1); }
  bool Bool(bool* v) {
    uint8_t b;
    if (!U8(&b) || b > 1) return false;
    *v = b;
    return true;
  }
  bool U32(uint32_t* v) { return Fixed(v, 4); }
  bool U64(uint64_t* v) { return Fixed(v, 8); }
  bool I64(int64_t* v) { return Fixed(v, 8); }
  bool F64(double* v) { return Fixed(v, 8); }
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool Strs(std::vector<std::string>* v) {
    uint32_t n;
    if (!U32(&n) || n > in_.size() / 4) return false;
    v->resize(n);
    for (auto& s : *v)
      if (!Str(&s)) return false;
    return true;
  }
  bool Done() const { return in_.empty(); }

 private:
  bool Fixed(void* p, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_CODEC_H_

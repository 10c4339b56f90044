// A tiny binary codec for state records: fixed-width little-endian integers and
// length-prefixed strings. Deterministic by construction (no maps, no floats
// formatted as text). Decoding never reads past the input.
//
// Strings are of two kinds, with the same encoding (u32 length, bytes):
// - Text: a name, code, id, reason, message... It must be valid UTF-8: the API
//   shows it as JSON text. Writer::Text checks it and counts a field that is
//   not on this thread (InvalidTextFieldsOnThisThread); the contracts engine
//   reads that count around every transaction and rejects one that wrote such
//   a field (docs/contracts.md, "Text"). Text is never checked when decoded:
//   a record always decodes, whatever bytes it holds, so stored state can never
//   fail to load because of its text.
// - Bytes: raw binary (hashes, tx ids, raw keys), never checked.
//
// Thread-safety: values; the invalid-text count is per thread.
#ifndef TRACELEDGER_CONTRACTS_CODEC_H_
#define TRACELEDGER_CONTRACTS_CODEC_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/utf8.h"

namespace traceledger {

namespace codec_internal {
inline thread_local uint64_t invalid_text_fields = 0;
}  // namespace codec_internal

// Text fields that were not valid UTF-8 when written by a Writer on this
// thread, since the thread started (compare two readings).
inline uint64_t InvalidTextFieldsOnThisThread() { return codec_internal::invalid_text_fields; }

// True if `s` is valid UTF-8; the ASCII bytes that are nearly all the ledger's
// text are checked eight at a time.
inline bool IsUtf8Text(std::string_view s) {
  uint64_t any = 0;  // the OR of every byte: ASCII text has no high bit set
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    any |= w;
  }
  for (; i < s.size(); ++i) any |= static_cast<unsigned char>(s[i]);
  return (any & 0x8080808080808080ull) == 0 || IsValidUtf8(s);
}

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
  // Raw bytes (hashes, ids of 32 raw bytes, raw keys).
  void Bytes(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  // Text: the same encoding as Bytes; counts the field if it is not UTF-8
  // (see the top of this file). The bytes are written either way: the caller
  // (the engine) decides what a violation does.
  void Text(std::string_view s) {
    if (!IsUtf8Text(s)) ++codec_internal::invalid_text_fields;
    Bytes(s);
  }
  void Texts(const std::vector<std::string>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) Text(s);
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

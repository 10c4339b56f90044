#include "api/json_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

namespace traceledger::api {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80),
// or 0 if it is not one (overlong, surrogate, > U+10FFFF, truncated).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = at(i);
  size_t n = s.size() - i;
  auto cont = [&](size_t k) { return (at(i + k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return n >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (n < 3 || !cont(1) || !cont(2)) return 0;
    unsigned char c1 = at(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (n < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    unsigned char c1 = at(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonDouble(double v, std::string* out) {
  // nlohmann's own conversion (Grisu2 and its layout), so that numbers print
  // exactly as dump() printed them in the answers before this writer. It is in
  // nlohmann's detail namespace; tests/api/json_writer_test.cc compares the two.
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t plain_from = 0;  // start of the run of bytes copied as they are
  size_t i = 0;
  auto flush = [&](size_t to) { out->append(s.data() + plain_from, to - plain_from); };
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s, i);
      if (len > 0) {
        i += len;
        continue;
      }
      flush(i);
      out->append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
      plain_from = ++i;
      continue;
    }
    flush(i);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 15]};
        out->append(u, 6);
      }
    }
    plain_from = ++i;
  }
  flush(i);
  out->push_back('"');
}

void JsonWriter::BeforeValue() {
  if (depth_ == 0) {
    assert(!wrote_value_ && "one top-level value");
    wrote_value_ = true;
    return;
  }
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (is_object_ & bit) {
    assert(after_key_ && "a value in an object needs a key first");
    after_key_ = false;
    return;
  }
  if (has_member_ & bit) out_->push_back(',');
  has_member_ |= bit;
}

void JsonWriter::Key(std::string_view name) {
  assert(depth_ > 0 && (is_object_ >> (depth_ - 1) & 1) && !after_key_);
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (has_member_ & bit) out_->push_back(',');
  has_member_ |= bit;
  AppendJsonString(name, out_);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::Open(char c, bool object) {
  BeforeValue();
  assert(depth_ < kMaxDepth);
  const uint64_t bit = uint64_t{1} << depth_;
  if (object) {
    is_object_ |= bit;
  } else {
    is_object_ &= ~bit;
  }
  has_member_ &= ~bit;
  ++depth_;
  out_->push_back(c);
}

void JsonWriter::Close(char c, bool object) {
  assert(depth_ > 0 && !after_key_);
  assert(((is_object_ >> (depth_ - 1)) & 1) == (object ? 1u : 0u));
  (void)object;
  --depth_;
  out_->push_back(c);
}

void JsonWriter::BeginObject() { Open('{', true); }
void JsonWriter::EndObject() { Close('}', true); }
void JsonWriter::BeginArray() { Open('[', false); }
void JsonWriter::EndArray() { Close(']', false); }

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(s, out_);
}

void JsonWriter::StringOrNull(std::string_view s) {
  if (s.empty()) return Null();
  String(s);
}

void JsonWriter::Hex(std::string_view bytes) {
  BeforeValue();
  size_t at = out_->size();
  out_->resize(at + 2 + 2 * bytes.size());
  char* p = out_->data() + at;
  *p++ = '"';
  for (unsigned char b : bytes) {
    *p++ = kHexDigits[b >> 4];
    *p++ = kHexDigits[b & 15];
  }
  *p = '"';
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
}

void JsonWriter::Double(double v) {
  if (!std::isfinite(v)) return Null();
  BeforeValue();
  AppendJsonDouble(v, out_);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_->append(v ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
}

}  // namespace traceledger::api

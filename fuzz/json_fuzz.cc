// Fuzz target: the one strict JSON parser and the UTF-8 helpers
// (ledger/json_parse.h, ledger/json_string.h, ledger/utf8.h).
//
// Input: JSON text (or any bytes).
//
// Oracle:
// - ParseJson never throws; an error is one of its four codes with a message
//   that is valid UTF-8; an accepted text is valid UTF-8, nests at most the
//   limit, and DumpJson of the result parses back to the same value.
// - The envelope's flat scanner (ParseFlatStringObject) agrees with ParseJson:
//   what one accepts as an object of strings the other accepts with the same
//   members (a duplicate member: the scanner keeps both, ParseJson refuses).
// - The UTF-8 helpers agree with a reference decoder written here from
//   RFC 3629: validity, the first invalid offset, sequence lengths, prefixes
//   cut on code point boundaries, and sanitising.
#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "ledger/json_parse.h"
#include "ledger/json_string.h"
#include "ledger/utf8.h"

namespace traceledger::fuzz {
namespace {

using nlohmann::json;

// RFC 3629 §4: the length of the well-formed sequence at s[i], or 0.
size_t RefSequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xbf) {
    return k < s.size() && b(k) >= lo && b(k) <= hi;
  };
  uint8_t c = b(i);
  if (c <= 0x7f) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c == 0xe0) return cont(i + 1, 0xa0, 0xbf) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xed) return cont(i + 1, 0x80, 0x9f) && cont(i + 2) ? 3 : 0;
  if (c == 0xf0) return cont(i + 1, 0x90, 0xbf) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xf4) return cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

size_t RefFirstInvalid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = RefSequence(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void CheckUtf8(std::string_view s) {
  size_t bad = RefFirstInvalid(s);
  FUZZ_CHECK(FirstInvalidUtf8(s) == bad, "FirstInvalidUtf8 disagrees with RFC 3629");
  FUZZ_CHECK(IsValidUtf8(s) == (bad == std::string_view::npos), "IsValidUtf8");
  for (size_t i = 0; i < s.size() && i < 64; ++i)
    FUZZ_CHECK(Utf8SequenceLength(s, i) == RefSequence(s, i), "Utf8SequenceLength");
  std::string clean = SanitizeUtf8(s);
  FUZZ_CHECK(IsValidUtf8(clean), "SanitizeUtf8 gave invalid UTF-8");
  if (bad == std::string_view::npos) FUZZ_CHECK(clean == s, "SanitizeUtf8 changed valid text");
  if (bad == std::string_view::npos) {
    for (size_t max : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, s.size() / 2, s.size() - 1,
                       s.size(), s.size() + 1}) {
      if (max > s.size() + 1) continue;
      std::string_view p = Utf8Prefix(s, max);
      FUZZ_CHECK(p.size() <= max && s.substr(0, p.size()) == p, "Utf8Prefix is not a prefix");
      FUZZ_CHECK(IsValidUtf8(p), "Utf8Prefix cut inside a character");
      // Maximal: the next character would not fit.
      if (p.size() < s.size())
        FUZZ_CHECK(p.size() + RefSequence(s, p.size()) > max, "Utf8Prefix cut more than it had to");
    }
  }
}

int Depth(const json& v) {
  if (v.is_object() || v.is_array()) {
    int d = 0;
    for (const auto& e : v) d = std::max(d, Depth(e));
    return d + 1;
  }
  return 0;
}

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckUtf8(text);

  constexpr int kDepth = 16;
  json doc;
  Status s = ParseJson(text, JsonLimits{1 << 20, kDepth}, "the input", "X", &doc);
  if (!s.ok()) {
    FUZZ_CHECK(s.Is("X_TOO_LARGE") || s.Is("X_MALFORMED_JSON") || s.Is("X_TOO_DEEP") ||
                   s.Is("X_DUPLICATE_KEY"),
               "unexpected code " + s.code());
    FUZZ_CHECK(IsValidUtf8(s.message()), "an error message is not valid UTF-8");
  } else {
    FUZZ_CHECK(IsValidUtf8(text), "accepted text that is not UTF-8");
    FUZZ_CHECK(Depth(doc) <= kDepth, "accepted nesting beyond the limit");
    std::string dumped = DumpJson(doc);
    json back;
    Status b = ParseJson(dumped, JsonLimits{1 << 22, kDepth}, "the dump", "X", &back);
    FUZZ_CHECK(b.ok(), "DumpJson's text does not parse: " + b.ToString());
    FUZZ_CHECK(back == doc, "DumpJson does not round-trip: " + dumped.substr(0, 200));
  }

  std::vector<std::pair<std::string, std::string>> members;
  FlatObjectError flat = ParseFlatStringObject(text, &members);
  if (flat == FlatObjectError::kNone) {
    bool dup = false;
    for (size_t i = 0; i < members.size() && !dup; ++i)
      for (size_t j = 0; j < i && !dup; ++j) dup = members[i].first == members[j].first;
    if (dup) {
      FUZZ_CHECK(s.Is("X_DUPLICATE_KEY"),
                 "a duplicate the strict parser did not refuse: " + s.ToString());
    } else {
      FUZZ_CHECK(s.ok(), "the flat scanner accepted what ParseJson refuses: " + s.ToString());
      FUZZ_CHECK(doc.is_object() && doc.size() == members.size(), "member count differs");
      for (const auto& [k, v] : members)
        FUZZ_CHECK(doc.contains(k) && doc[k].is_string() && doc[k].get<std::string>() == v,
                   "member values differ");
    }
  } else if (s.ok()) {
    bool all_strings = doc.is_object();
    if (all_strings)
      for (const auto& [k, v] : doc.items()) all_strings = all_strings && v.is_string();
    FUZZ_CHECK(!all_strings, "ParseJson accepted an object of strings the flat scanner refused");
    if (!doc.is_object())
      FUZZ_CHECK(flat == FlatObjectError::kNotObject, "not an object, but not kNotObject");
  }
  return 0;
}

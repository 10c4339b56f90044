// Fuzz target: identifiers — GS1 element strings, Digital Links and GTINs
// (api/gs1.h), USCC, GTIN-14, SSCC, codes and ids (contracts/ids.h).
//
// Input: one mode byte, then the text.
//
// Oracle: nothing throws; every error message is valid UTF-8 (it is sent in a
// JSON answer) and has one of the documented codes (docs/api.md, "Trace");
// what is accepted obeys the identifier rules of docs/contracts.md, checked
// against reference implementations written here from the standards (GS1
// mod 10, GB 32100-2015); a canonical code parses back to itself; a Digital
// Link resolves to what the equivalent element string resolves to.
#include <set>

#include "api/gs1.h"
#include "contracts/ids.h"
#include "fuzz.h"
#include "ledger/utf8.h"

namespace traceledger::fuzz {
namespace {

bool Digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// GS1 General Specifications §7.9.1: weights 3,1,3,... from the right of the
// digits before the check digit.
bool RefGs1Valid(std::string_view key, size_t len) {
  if (key.size() != len || !Digits(key)) return false;
  int sum = 0;
  for (size_t i = 0; i + 1 < len; ++i) {
    size_t from_right = len - 2 - i;  // 0 for the digit next to the check digit
    sum += (key[i] - '0') * (from_right % 2 == 0 ? 3 : 1);
  }
  return (sum + (key[len - 1] - '0')) % 10 == 0;
}

// GB 32100-2015: C18 = 31 - (sum C_i * W_i mod 31), W_i = 3^(i-1) mod 31,
// 31 written as 0.
bool RefUsccValid(std::string_view u) {
  static const std::string kAlpha = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  if (u.size() != 18) return false;
  long sum = 0, w = 1;
  for (size_t i = 0; i < 17; ++i) {
    size_t v = kAlpha.find(u[i]);
    if (v == std::string::npos) return false;
    sum += static_cast<long>(v) * w;
    w = w * 3 % 31;
  }
  long c = 31 - sum % 31;
  if (c == 31) c = 0;
  return kAlpha.find(u[17]) == static_cast<size_t>(c);
}

bool CodeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._:/()+").find(c) != std::string_view::npos;
}

void CheckError(const Status& s) {
  static const std::set<std::string> kCodes = {"BAD_ELEMENT_STRING", "BAD_GTIN", "BAD_SSCC",
                                               "BAD_DIGITAL_LINK", "BAD_CODE"};
  FUZZ_CHECK(kCodes.count(s.code()), "undocumented code " + s.code());
  FUZZ_CHECK(IsValidUtf8(s.message()),
             s.code() + " message is not valid UTF-8 (it goes into a JSON answer): " +
                 SanitizeUtf8(s.message()));
}

void CheckTarget(const api::TraceTarget& t) {
  if (t.kind == api::TraceTarget::kLot) {
    FUZZ_CHECK(RefGs1Valid(t.gtin, 14), "a lot target with a bad GTIN " + t.gtin);
    FUZZ_CHECK(IsValidId(t.lot), "a lot target with a bad lot");
    FUZZ_CHECK(t.code.empty(), "a lot target with a code");
    return;
  }
  FUZZ_CHECK(IsValidCode(t.code), "resolved to an invalid code " + t.code);
  // Canonical: the code resolves to itself.
  auto again = api::ParseTraceCode(t.code);
  FUZZ_CHECK(again.ok() && again->kind == api::TraceTarget::kCode && again->code == t.code,
             "the canonical code " + t.code + " does not resolve to itself");
  if (t.code.rfind("(01)", 0) == 0)
    FUZZ_CHECK(t.gtin == GtinOfCode(t.code), "the GTIN differs from the code's");
}

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  Input in(data, size);
  uint8_t mode = in.Byte() % 4;
  std::string_view text = in.Rest();
  switch (mode) {
    case 0: {
      auto t = api::ParseTraceCode(text);
      if (!t.ok()) {
        CheckError(t.status());
        break;
      }
      CheckTarget(*t);
      break;
    }
    case 1: {
      auto t = api::ParseDigitalLink(text);
      if (!t.ok()) {
        CheckError(t.status());
        break;
      }
      CheckTarget(*t);
      // The same as the element string with the same AIs. (With a serial the
      // lot is not checked, nor used: an item is named by its code alone.)
      if (!t->lot.empty() && !IsValidId(t->lot)) break;
      std::string es = t->kind == api::TraceTarget::kLot ? "(01)" + t->gtin + "(10)" + t->lot
                       : t->code.rfind("(01)", 0) == 0 && !t->lot.empty()
                           ? "(01)" + t->gtin + "(10)" + t->lot + t->code.substr(18)
                           : t->code;
      auto e = api::ParseTraceCode(es);
      FUZZ_CHECK(e.ok() && *e == *t, "the Digital Link and the element string " + es + " differ");
      break;
    }
    case 2: {
      auto g = api::NormalizeGtin(text);
      if (!g.ok()) {
        CheckError(g.status());
        FUZZ_CHECK(
            !(Digits(text) &&
              (text.size() == 8 || text.size() == 12 || text.size() == 13 || text.size() == 14) &&
              RefGs1Valid(std::string(14 - text.size(), '0') + std::string(text), 14)),
            "a valid GTIN was refused");
        break;
      }
      FUZZ_CHECK(g->size() == 14 && RefGs1Valid(*g, 14), "normalised to a bad GTIN");
      FUZZ_CHECK(g->substr(14 - text.size()) == text &&
                     g->substr(0, 14 - text.size()) == std::string(14 - text.size(), '0'),
                 "normalising is not left-padding with zeros");
      break;
    }
    default: {
      FUZZ_CHECK(IsValidUscc(text) == RefUsccValid(text), "IsValidUscc disagrees with GB 32100");
      if (text.size() >= 17) {
        char c = UsccCheckChar(text.substr(0, 17));
        if (c != '\0') {
          std::string u = std::string(text.substr(0, 17)) + c;
          FUZZ_CHECK(RefUsccValid(u), "UsccCheckChar gave a wrong check character");
        }
      }
      FUZZ_CHECK(IsValidGtin14(text) == RefGs1Valid(text, 14), "IsValidGtin14");
      FUZZ_CHECK(IsValidSscc(text) == RefGs1Valid(text, 18), "IsValidSscc");
      if (!text.empty() && Digits(text.substr(0, text.size() - 1)) && text.back() >= '0' &&
          text.back() <= '9') {
        int d = Gs1CheckDigit(text.substr(0, text.size() - 1));
        FUZZ_CHECK(d >= 0 && d <= 9, "check digit range");
        FUZZ_CHECK((d == text.back() - '0') == RefGs1Valid(text, text.size()),
                   "Gs1CheckDigit disagrees with the reference");
      }
      std::string why;
      bool code = IsValidCode(text, &why);
      if (code) {
        FUZZ_CHECK(!text.empty() && text.size() <= kMaxCodeLength, "code length");
        for (char c : text) FUZZ_CHECK(CodeChar(c), "a code character outside the alphabet");
        if (text[0] == '(') {
          bool sscc =
              text.size() == 22 && text.substr(0, 4) == "(00)" && RefGs1Valid(text.substr(4), 18);
          bool gtin = text.substr(0, 4) == "(01)" && text.size() >= 23 &&
                      RefGs1Valid(text.substr(4, 14), 14) && text.substr(18, 4) == "(21)" &&
                      text.size() - 22 <= 20 &&
                      text.substr(22).find_first_of("()") == std::string_view::npos;
          FUZZ_CHECK(sscc || gtin, "accepted a non-canonical element string as a code");
        }
      } else {
        FUZZ_CHECK(!why.empty() && IsValidUtf8(why), "a refused code without a reason");
      }
      if (IsValidId(text)) {
        FUZZ_CHECK(code, "an id that is not a code");
        FUZZ_CHECK(
            text.size() <= kMaxIdLength && text.find_first_of("()") == std::string_view::npos,
            "id rules");
      }
      break;
    }
  }
  return 0;
}

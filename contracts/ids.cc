#include "contracts/ids.h"

namespace traceledger {
namespace {

constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int UsccValue(char c) {
  size_t p = kUsccAlphabet.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

bool IsSafe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == ':' || c == '/' || c == '(' || c == ')' || c == '+';
}

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool SetWhy(std::string* why, const char* msg) {
  if (why) *why = msg;
  return false;
}

}  // namespace

char UsccCheckChar(std::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0, w = 1;
  for (char c : first17) {
    int v = UsccValue(c);
    if (v < 0) return '\0';
    sum += v * w;
    w = (w * 3) % 31;
  }
  return kUsccAlphabet[(31 - sum % 31) % 31];
}

bool IsValidUscc(std::string_view uscc) {
  if (uscc.size() != 18) return false;
  char check = UsccCheckChar(uscc.substr(0, 17));
  return check != '\0' && check == uscc[17];
}

int Gs1CheckDigit(std::string_view digits) {
  int sum = 0;
  bool three = true;  // the rightmost digit (next to the check digit) weighs 3
  for (size_t i = digits.size(); i-- > 0;) {
    char c = digits[i];
    if (c < '0' || c > '9') return -1;
    sum += (c - '0') * (three ? 3 : 1);
    three = !three;
  }
  return (10 - sum % 10) % 10;
}

static bool ValidGs1Key(std::string_view key, size_t len) {
  return key.size() == len && AllDigits(key) &&
         Gs1CheckDigit(key.substr(0, len - 1)) == key[len - 1] - '0';
}

bool IsValidGtin14(std::string_view gtin) { return ValidGs1Key(gtin, 14); }
bool IsValidSscc(std::string_view sscc) { return ValidGs1Key(sscc, 18); }

bool IsValidCode(std::string_view code, std::string* why) {
  if (code.empty() || code.size() > kMaxCodeLength) return SetWhy(why, "must be 1..128 characters");
  for (char c : code)
    if (!IsSafe(c)) return SetWhy(why, "has a character outside [A-Za-z0-9-._:/()+]");
  if (code[0] != '(') return true;
  if (code.substr(0, 4) == "(00)") {
    if (code.size() != 22 || !IsValidSscc(code.substr(4)))
      return SetWhy(why,
                    "(00) must be followed by exactly an 18-digit SSCC with a valid check digit");
    return true;
  }
  if (code.substr(0, 4) != "(01)")
    return SetWhy(why, "a GS1 element string must be (01)<GTIN-14>(21)<serial> or (00)<SSCC>");
  if (code.size() < 4 + 14 + 4 + 1 || !IsValidGtin14(code.substr(4, 14)))
    return SetWhy(why, "(01) must be followed by a GTIN-14 with a valid check digit");
  if (code.substr(18, 4) != "(21)") return SetWhy(why, "the GTIN must be followed by (21)<serial>");
  std::string_view serial = code.substr(22);
  if (serial.empty() || serial.size() > 20) return SetWhy(why, "serial must be 1..20 characters");
  for (char c : serial)
    if (c == '(' || c == ')') return SetWhy(why, "serial must not contain parentheses");
  return true;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id)
    if (!IsSafe(c) || c == '(' || c == ')') return false;
  return true;
}

std::string_view GtinOfCode(std::string_view code) {
  if (code.size() >= 22 && code.substr(0, 4) == "(01)") return code.substr(4, 14);
  return {};
}

}  // namespace traceledger

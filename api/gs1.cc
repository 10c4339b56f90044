#include "api/gs1.h"

#include <map>
#include <vector>

#include "contracts/ids.h"
#include "ledger/utf8.h"

namespace traceledger::api {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Messages quote what was scanned, which need not be UTF-8 (these functions
// are called on text that did not come through the HTTP door too): the quote
// is made safe to put in a JSON answer.
Status Bad(const char* code, std::string_view msg) {
  return Status::Error(code, SanitizeUtf8(msg));
}

// Application identifiers we understand, with their value rules.
struct AiRule {
  const char* ai;
  size_t min_len, max_len;
  bool digits;
  const char* what;
};
constexpr AiRule kAis[] = {
    {"00", 18, 18, true, "SSCC"},         {"01", 14, 14, true, "GTIN"},
    {"10", 1, 20, false, "batch/lot"},    {"11", 6, 6, true, "production date"},
    {"13", 6, 6, true, "packaging date"}, {"15", 6, 6, true, "best before date"},
    {"17", 6, 6, true, "expiry date"},    {"21", 1, 20, false, "serial number"},
};

const AiRule* FindAi(std::string_view ai) {
  for (const auto& r : kAis)
    if (ai == r.ai) return &r;
  return nullptr;
}

// Builds the target from AI values (shared by element strings and Digital Links).
Result<TraceTarget> FromAis(const std::map<std::string, std::string>& v, const char* err) {
  TraceTarget t;
  auto has = [&](const char* ai) { return v.count(ai) > 0; };
  if (has("00")) {
    if (v.size() != 1)
      return Bad(err, "(00) SSCC names a logistic unit on its own; drop the other AIs");
    if (!IsValidSscc(v.at("00")))
      return Bad("BAD_SSCC", "SSCC " + v.at("00") + " has a wrong check digit");
    t.code = "(00)" + v.at("00");
    return t;
  }
  if (!has("01"))
    return Bad(err, "a trace needs (01) GTIN with (21) serial or (10) lot, or (00) SSCC");
  if (!IsValidGtin14(v.at("01")))
    return Bad("BAD_GTIN", "GTIN " + v.at("01") + " has a wrong check digit");
  t.gtin = v.at("01");
  if (has("10")) t.lot = v.at("10");
  if (has("21")) {
    t.code = "(01)" + t.gtin + "(21)" + v.at("21");
    std::string why;
    if (!IsValidCode(t.code, &why)) return Bad("BAD_CODE", "code " + t.code + " " + why);
    return t;
  }
  if (has("10")) {
    if (!IsValidId(t.lot))
      return Bad(err, "lot " + t.lot + " has characters outside [A-Za-z0-9-._:/+]");
    t.kind = TraceTarget::kLot;
    return t;
  }
  return Bad(err, "(01) " + t.gtin +
                      " names a product, not an item: add (21) serial or (10) lot, "
                      "or see GET /v1/products/" +
                      t.gtin);
}

Status CheckAiValue(const AiRule& r, std::string_view value, const char* err) {
  if (value.size() < r.min_len || value.size() > r.max_len || (r.digits && !AllDigits(value))) {
    std::string len = r.min_len == r.max_len
                          ? std::to_string(r.min_len)
                          : std::to_string(r.min_len) + ".." + std::to_string(r.max_len);
    return Bad(err, std::string("(") + r.ai + ") " + r.what + " must be " + len +
                        (r.digits ? " digits" : " characters") + "; got \"" + std::string(value) +
                        "\"");
  }
  return Status::OK();
}

}  // namespace

Result<std::string> NormalizeGtin(std::string_view gtin) {
  if (!AllDigits(gtin) ||
      (gtin.size() != 8 && gtin.size() != 12 && gtin.size() != 13 && gtin.size() != 14)) {
    return Bad("BAD_GTIN", "a GTIN is 8, 12, 13 or 14 digits; got \"" + std::string(gtin) + "\"");
  }
  std::string g = std::string(14 - gtin.size(), '0') + std::string(gtin);
  if (!IsValidGtin14(g))
    return Bad("BAD_GTIN", "GTIN " + std::string(gtin) + " has a wrong check digit");
  return g;
}

Result<TraceTarget> ParseTraceCode(std::string_view text) {
  if (text.empty()) return Bad("BAD_CODE", "the code is empty: use GET /v1/trace/{code}");
  if (text.size() > 256) return Bad("BAD_CODE", "a code is at most 128 characters");
  if (text[0] != '(') {
    std::string why;
    if (!IsValidCode(text, &why))
      return Bad("BAD_CODE", "code \"" + std::string(text) + "\" " + why);
    TraceTarget t;
    t.code = std::string(text);
    return t;
  }
  // "(AI)value(AI)value..."
  std::map<std::string, std::string> v;
  size_t i = 0;
  const char* err = "BAD_ELEMENT_STRING";
  while (i < text.size()) {
    if (text[i] != '(')
      return Bad(err, "expected '(' at position " + std::to_string(i) + " of the element string");
    size_t close = text.find(')', i);
    if (close == std::string_view::npos)
      return Bad(err, "unclosed '(' at position " + std::to_string(i));
    std::string ai(text.substr(i + 1, close - i - 1));
    const AiRule* rule = FindAi(ai);
    if (!rule) {
      return Bad(err, "application identifier (" + ai +
                          ") is not one we resolve; use (01) GTIN "
                          "with (21) serial or (10) lot, or (00) SSCC");
    }
    size_t next = text.find('(', close + 1);
    std::string_view value = text.substr(
        close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
    TL_RETURN_IF_ERROR(CheckAiValue(*rule, value, err));
    if (!v.emplace(ai, std::string(value)).second) return Bad(err, "(" + ai + ") appears twice");
    i = next == std::string_view::npos ? text.size() : next;
  }
  return FromAis(v, err);
}

Result<TraceTarget> ParseDigitalLink(std::string_view path) {
  const char* err = "BAD_DIGITAL_LINK";
  std::vector<std::string> seg;
  size_t i = 0;
  if (path.empty() || path[0] != '/')
    return Bad(err, "a Digital Link path starts with /01/ or /00/");
  while (i < path.size()) {
    size_t j = path.find('/', i + 1);
    std::string s(
        path.substr(i + 1, j == std::string_view::npos ? std::string_view::npos : j - i - 1));
    seg.push_back(s);
    i = j == std::string_view::npos ? path.size() : j;
  }
  if (!seg.empty() && seg.back().empty()) seg.pop_back();  // trailing slash
  if (seg.size() < 2 || seg.size() % 2 != 0) {
    return Bad(err,
               "a Digital Link is /01/{gtin}/21/{serial}, /01/{gtin}/10/{lot}, "
               "/01/{gtin}/10/{lot}/21/{serial} or /00/{sscc}");
  }
  std::map<std::string, std::string> v;
  // Primary key first, then qualifiers in the GS1 order (10 before 21).
  static const std::vector<std::string> kOrder = {"01", "10", "21"};
  size_t last = 0;
  for (size_t k = 0; k < seg.size(); k += 2) {
    const std::string& ai = seg[k];
    std::string value = seg[k + 1];
    if (k == 0 && ai != "01" && ai != "00")
      return Bad(err, "the primary key must be /01/{gtin} or /00/{sscc}; got /" + ai + "/");
    if (k == 0 && ai == "00") {
      if (seg.size() != 2) return Bad(err, "/00/{sscc} takes no qualifiers");
      TL_RETURN_IF_ERROR(CheckAiValue(*FindAi("00"), value, "BAD_SSCC"));
      v["00"] = value;
      break;
    }
    size_t pos = 0;
    while (pos < kOrder.size() && kOrder[pos] != ai) ++pos;
    if (pos == kOrder.size() || (k > 0 && pos == 0))
      return Bad(err,
                 "/" + ai + "/ is not a qualifier we resolve (only /10/{lot} and /21/{serial})");
    if (k > 0 && pos <= last) return Bad(err, "qualifiers must come in the order /10/ then /21/");
    last = pos;
    if (ai == "01") {
      auto g = NormalizeGtin(value);
      if (!g.ok()) return g.status();
      value = *g;
    } else {
      TL_RETURN_IF_ERROR(CheckAiValue(*FindAi(ai), value, err));
    }
    v[ai] = value;
  }
  return FromAis(v, err);
}

}  // namespace traceledger::api

#include "contracts/body.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "contracts/ids.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "ledger/utf8.h"

namespace traceledger {

using json = nlohmann::json;

Body::Body(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {
  known_.reserve(12);
  if (!obj_.is_object()) Fail("BAD_BODY", path_, "must be a JSON object");
}

void Body::Fail(const char* code, const std::string& field, const std::string& msg) {
  if (status_.ok()) status_ = Status::Error(code, field + ": " + msg);
}

const json* Body::Member(const char* name, bool required) {
  known_.push_back(name);
  if (!obj_.is_object()) return nullptr;
  auto it = obj_.find(name);
  if (it == obj_.end()) {
    if (required) Fail("BAD_BODY", Path(name), "missing");
    return nullptr;
  }
  return &*it;
}

bool Body::Has(const char* name) { return obj_.is_object() && obj_.contains(name); }

std::string Body::Str(const char* name, size_t min_len, size_t max_len, bool required) {
  const json* v = Member(name, required);
  if (!v) return {};
  if (!v->is_string()) {
    Fail("BAD_BODY", Path(name), "must be a string");
    return {};
  }
  const std::string& s = v->get_ref<const std::string&>();
  if (s.size() < min_len || s.size() > max_len) {
    Fail("BAD_BODY", Path(name),
         "length must be " + std::to_string(min_len) + ".." + std::to_string(max_len) + " bytes");
    return {};
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      Fail("BAD_BODY", Path(name), "must not contain control characters");
      return {};
    }
  }
  return s;
}

std::string Body::Id(const char* name, bool required) {
  std::string s = Str(name, 1, kMaxIdLength, required);
  if (!s.empty() && !IsValidId(s)) {
    Fail("BAD_BODY", Path(name), "must be 1..64 characters of [A-Za-z0-9-._:/+]");
    return {};
  }
  return s;
}

std::string Body::Uscc(const char* name, bool required) {
  std::string s = Str(name, 1, 64, required);
  if (!s.empty() && !IsValidUscc(s)) {
    Fail("BAD_USCC", Path(name),
         "\"" + s +
             "\" is not a unified social credit code (18 characters, GB 32100 check "
             "character)");
    return {};
  }
  return s;
}

std::string Body::Sha256Hex(const char* name, bool required) {
  std::string s = Str(name, 1, 64, required);
  if (!s.empty() && (s.size() != 64 || !FromHex(s))) {
    Fail("BAD_BODY", Path(name), "must be 64 lowercase hex characters");
    return {};
  }
  return s;
}

std::string Body::PublicKey(const char* name) {
  std::string s = Str(name, 1, 66, true);
  if (s.empty()) return {};
  auto raw = FromHex(s);
  if (s.size() != 66 || !raw || ((*raw)[0] != 2 && (*raw)[0] != 3)) {
    Fail("BAD_BODY", Path(name), "must be 66 lowercase hex characters of a compressed key");
    return {};
  }
  return *raw;
}

std::string Body::DocType(const char* name) {
  std::string s = Str(name, 1, 64, true);
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      Fail("BAD_BODY", Path(name), "must be 1..64 characters of [a-z0-9_]");
      return {};
    }
  }
  return s;
}

std::string Body::Enum(const char* name, std::initializer_list<const char*> options,
                       bool required) {
  std::string s = Str(name, 1, 64, required);
  if (s.empty()) return {};
  std::string list;
  for (const char* o : options) {
    if (s == o) return s;
    list += list.empty() ? "" : ", ";
    list += o;
  }
  Fail("BAD_BODY", Path(name), "\"" + s + "\" is not one of " + list);
  return {};
}

const json* Body::Array(const char* name, size_t min, size_t max, bool required) {
  const json* v = Member(name, required);
  if (!v) return nullptr;
  if (!v->is_array() || v->size() < min || v->size() > max) {
    Fail(max < 2 ? "BAD_BODY" : (v->is_array() && v->size() > max ? "TOO_MANY" : "BAD_BODY"),
         Path(name),
         "must be an array of " + std::to_string(min) + ".." + std::to_string(max) + " entries");
    return nullptr;
  }
  return v;
}

std::vector<std::string> Body::Codes(const char* name, size_t max, bool required) {
  std::vector<std::string> out;
  const json* a = Array(name, 1, max, required);
  if (!a) return out;
  out.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    const json& e = (*a)[i];
    std::string p = Path(name) + "[" + std::to_string(i) + "]";
    std::string why;
    if (!e.is_string()) {
      Fail("BAD_BODY", p, "must be a string");
      return {};
    }
    const std::string& s = e.get_ref<const std::string&>();
    if (!IsValidCode(s, &why)) {
      // Quoted cut to 140 bytes on a character boundary: the message goes into
      // the receipt, which must stay UTF-8 text (docs/contracts.md, "Text").
      Fail("BAD_CODE", p, "\"" + std::string(Utf8Prefix(s, 140)) + "\" " + why);
      return {};
    }
    out.push_back(s);
  }
  // Duplicates: sort a copy of views (no allocation per code).
  std::vector<std::string_view> sorted(out.begin(), out.end());
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) {
    size_t i = std::find(out.begin(), out.end(), *dup) - out.begin();
    size_t j = std::find(out.begin() + i + 1, out.end(), *dup) - out.begin();
    Fail("BAD_BODY", Path(name) + "[" + std::to_string(j) + "]",
         "\"" + std::string(*dup) + "\" is listed twice");
    return {};
  }
  return out;
}

std::vector<std::string> Body::Ids(const char* name, size_t max, bool required) {
  std::vector<std::string> out;
  const json* a = Array(name, 1, max, required);
  if (!a) return out;
  std::set<std::string> seen;
  for (size_t i = 0; i < a->size(); ++i) {
    const json& e = (*a)[i];
    std::string p = Path(name) + "[" + std::to_string(i) + "]";
    if (!e.is_string() || !IsValidId(e.get<std::string>())) {
      Fail("BAD_BODY", p, "must be 1..64 characters of [A-Za-z0-9-._:/+]");
      return {};
    }
    if (!seen.insert(e.get<std::string>()).second) {
      Fail("BAD_BODY", p, "listed twice");
      return {};
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<std::string> Body::Strings(const char* name, size_t max, size_t max_len) {
  std::vector<std::string> out;
  const json* a = Array(name, 1, max, true);
  if (!a) return out;
  for (size_t i = 0; i < a->size(); ++i) {
    const json& e = (*a)[i];
    if (!e.is_string() || e.get_ref<const std::string&>().empty() ||
        e.get_ref<const std::string&>().size() > max_len) {
      Fail("BAD_BODY", Path(name) + "[" + std::to_string(i) + "]",
           "must be a string of 1.." + std::to_string(max_len) + " bytes");
      return {};
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<double> Body::Celsius(const char* name, bool required) {
  const json* v = Member(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    Fail("BAD_BODY", Path(name), "must be a number (degrees Celsius)");
    return std::nullopt;
  }
  double d = v->get<double>();
  if (!std::isfinite(d) || d < -100 || d > 100) {
    Fail("BAD_BODY", Path(name), "must be degrees Celsius in -100..100");
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> Body::Int(const char* name, int64_t min, int64_t max, bool required) {
  const json* v = Member(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() ||
      (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) ||
      v->get<int64_t>() < min || v->get<int64_t>() > max) {
    Fail("BAD_BODY", Path(name),
         "must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<bool> Body::Bool(const char* name) {
  const json* v = Member(name, false);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    Fail("BAD_BODY", Path(name), "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

int64_t Body::Date(const char* name, bool required) {
  std::string s = Str(name, 1, 10, required);
  if (s.empty()) return 0;
  auto ms = ParseDateMillis(s);
  if (!ms) {
    Fail("BAD_BODY", Path(name), "\"" + s + "\" is not a date YYYY-MM-DD");
    return 0;
  }
  return *ms;
}

int64_t Body::Time(const char* name, bool required) {
  std::string s = Str(name, 1, 40, required);
  if (s.empty()) return 0;
  auto ms = ParseRfc3339Millis(s);
  if (!ms) {
    Fail("BAD_BODY", Path(name), "\"" + s + "\" is not an RFC 3339 UTC time");
    return 0;
  }
  return *ms;
}

const json* Body::Object(const char* name, bool required) {
  const json* v = Member(name, required);
  if (v && !v->is_object()) {
    Fail("BAD_BODY", Path(name), "must be an object");
    return nullptr;
  }
  return v;
}

bool Body::OneOf(const char* a, const char* b) {
  bool ha = Has(a), hb = Has(b);
  if (ha == hb) {
    Fail("BAD_BODY", path_, std::string("needs exactly one of ") + a + " and " + b);
    return false;
  }
  return true;
}

Status Body::Finish() {
  if (!status_.ok() || !obj_.is_object()) return status_;
  for (auto it = obj_.begin(); it != obj_.end(); ++it) {
    bool found = false;
    for (const char* k : known_) {
      if (it.key() == k) {
        found = true;
        break;
      }
    }
    if (!found) {
      Fail("BAD_BODY", path_ + "." + std::string(Utf8Prefix(it.key(), 64)), "unknown field");
      break;
    }
  }
  return status_;
}

}  // namespace traceledger

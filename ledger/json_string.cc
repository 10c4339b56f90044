#include "ledger/json_string.h"

#include <cstdint>

#include "ledger/utf8.h"

namespace traceledger {
namespace {

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool Hex4(std::string_view s, size_t i, uint32_t* v) {
  if (i + 4 > s.size()) return false;
  *v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return false;
    *v = (*v << 4) | static_cast<uint32_t>(d);
  }
  return true;
}

// Parses a JSON string starting at s[*pos] == '"'; advances past the closing quote.
bool ParseString(std::string_view s, size_t* pos, std::string* out) {
  size_t i = *pos;
  if (i >= s.size() || s[i] != '"') return false;
  ++i;
  out->clear();
  while (i < s.size()) {
    // Copy a run of plain ASCII at once.
    size_t run = i;
    while (run < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[run]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++run;
    }
    out->append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) return false;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      *pos = i + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) return false;
      out->append(s.data() + i, n);
      i += n;
      continue;
    }
    // Escape.
    if (i + 1 >= s.size()) return false;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(s, i, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u' || !Hex4(s, i + 2, &lo) ||
              lo < 0xDC00 || lo > 0xDFFF) {
            return false;
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return false;
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

void SkipWs(std::string_view s, size_t* pos) {
  while (*pos < s.size() && IsWs(s[*pos])) ++*pos;
}

}  // namespace

FlatObjectError ParseFlatStringObject(std::string_view s,
                                      std::vector<std::pair<std::string, std::string>>* members) {
  members->clear();
  size_t i = 0;
  SkipWs(s, &i);
  if (i >= s.size()) return FlatObjectError::kMalformed;
  if (s[i] != '{') {
    // Could still be other valid JSON; the caller's general parser decides.
    return FlatObjectError::kNotObject;
  }
  ++i;
  SkipWs(s, &i);
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    while (true) {
      std::pair<std::string, std::string> m;
      SkipWs(s, &i);
      if (!ParseString(s, &i, &m.first)) return FlatObjectError::kMalformed;
      SkipWs(s, &i);
      if (i >= s.size() || s[i] != ':') return FlatObjectError::kMalformed;
      ++i;
      SkipWs(s, &i);
      if (i >= s.size()) return FlatObjectError::kMalformed;
      if (s[i] != '"') return FlatObjectError::kNotAllString;
      if (!ParseString(s, &i, &m.second)) return FlatObjectError::kMalformed;
      members->push_back(std::move(m));
      SkipWs(s, &i);
      if (i >= s.size()) return FlatObjectError::kMalformed;
      if (s[i] == ',') {
        ++i;
        continue;
      }
      if (s[i] == '}') {
        ++i;
        break;
      }
      return FlatObjectError::kMalformed;
    }
  }
  SkipWs(s, &i);
  return i == s.size() ? FlatObjectError::kNone : FlatObjectError::kMalformed;
}

}  // namespace traceledger

#include "ledger/time_util.h"

#include <cstdio>

namespace traceledger {
namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

// Reads exactly n digits at text[pos..]; -1 if any is not a digit.
int64_t Digits(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

std::optional<int64_t> ParseDatePart(std::string_view t) {
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  int64_t y = Digits(t, 0, 4), mo = Digits(t, 5, 2), d = Digits(t, 8, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1) return std::nullopt;
  if (d > DaysInMonth(y, static_cast<int>(mo))) return std::nullopt;
  return DaysFromCivil(y, static_cast<int>(mo), static_cast<int>(d));
}

}  // namespace

std::optional<int64_t> ParseRfc3339Millis(std::string_view t) {
  auto days = ParseDatePart(t);
  if (!days || t.size() < 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':') return std::nullopt;
  int64_t h = Digits(t, 11, 2), mi = Digits(t, 14, 2), s = Digits(t, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (t[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (t[pos] - '0');
      ++pos;
    }
    size_t n = pos - start;
    if (n == 0 || n > kMaxFractionDigits) return std::nullopt;
    for (size_t i = n; i < 3; ++i) millis *= 10;
  }
  if (pos + 1 != t.size() || t[pos] != 'Z') return std::nullopt;
  return ((*days * 24 + h) * 60 + mi) * 60 * 1000 + s * 1000 + millis;
}

std::optional<int64_t> ParseDateMillis(std::string_view t) {
  if (t.size() != 10) return std::nullopt;
  auto days = ParseDatePart(t);
  if (!days) return std::nullopt;
  return *days * 86400000;
}

std::string FormatRfc3339Millis(int64_t millis) {
  int64_t days = millis >= 0 ? millis / 86400000 : (millis - 86399999) / 86400000;
  int64_t rem = millis - days * 86400000;
  int64_t y;
  int m, d;
  CivilFromDays(days, &y, &m, &d);
  int64_t secs = rem / 1000, ms = rem % 1000;
  char buf[64];
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                  static_cast<long long>(ms));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  }
  return buf;
}

}  // namespace traceledger

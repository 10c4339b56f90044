// RFC 3339 UTC timestamps ("2026-11-30T08:00:00Z", an optional fraction of
// 1..kMaxFractionDigits digits, always 'Z'), converted to milliseconds since
// the Unix epoch.
// Pure functions, no clock: thread-safe.
#ifndef TRACELEDGER_LEDGER_TIME_UTIL_H_
#define TRACELEDGER_LEDGER_TIME_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace traceledger {

// RFC 3339 puts no bound on the fraction's digits; this one does (a time is
// at most 53 bytes), and digits beyond milliseconds are ignored, so
// nanosecond (9) and picosecond (12) clocks are both fine. Which envelope
// times are valid is a consensus rule: every validator must agree on it.
inline constexpr size_t kMaxFractionDigits = 32;

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with real calendar checks (month
// lengths, leap years; no leap seconds), years 1970..9999. Sub-millisecond
// digits are truncated (not rounded). nullopt on anything else (offsets other than Z,
// lowercase t/z, missing seconds, trailing bytes).
std::optional<int64_t> ParseRfc3339Millis(std::string_view text);

// Parses a calendar date "YYYY-MM-DD" to the milliseconds of its midnight UTC.
std::optional<int64_t> ParseDateMillis(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SSZ", or with ".mmm" when millis % 1000 != 0.
std::string FormatRfc3339Millis(int64_t millis);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_TIME_UTIL_H_

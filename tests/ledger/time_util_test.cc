#include "ledger/time_util.h"

#include <gtest/gtest.h>

namespace traceledger {
namespace {

TEST(Rfc3339, ParsesUtcTimes) {
  EXPECT_EQ(ParseRfc3339Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Millis("2026-11-30T08:00:00Z"), 1796025600000LL);
  EXPECT_EQ(ParseRfc3339Millis("2026-11-30T08:00:00.5Z"), 1796025600500LL);
  EXPECT_EQ(ParseRfc3339Millis("2026-11-30T08:00:00.123456789Z"), 1796025600123LL);
  EXPECT_EQ(ParseRfc3339Millis("2024-02-29T23:59:59Z"), 1709251199000LL);
}

// docs/envelopes.md: "fractions beyond milliseconds are ignored" — 10 or more
// digits were TIME_INVALID, though valid RFC 3339.
TEST(Rfc3339, DigitsBeyondMillisecondsAreIgnored) {
  EXPECT_EQ(ParseRfc3339Millis("2026-11-30T08:00:00.1234567890Z"), 1796025600123LL);
  EXPECT_EQ(ParseRfc3339Millis("2026-11-30T08:00:00.999999999999Z"), 1796025600999LL);
  EXPECT_EQ(ParseRfc3339Millis("2026-11-30T08:00:00.0000000000000000000000000000009Z"),
            1796025600000LL);
  std::string longest = "2026-11-30T08:00:00." + std::string(kMaxFractionDigits, '7') + "Z";
  EXPECT_EQ(ParseRfc3339Millis(longest), 1796025600777LL);
  EXPECT_EQ(longest.size(), 53u);
  std::string over = "2026-11-30T08:00:00." + std::string(kMaxFractionDigits + 1, '7') + "Z";
  EXPECT_FALSE(ParseRfc3339Millis(over).has_value());
}

TEST(Rfc3339, RejectsEverythingElse) {
  for (const char* bad :
       {"", "2026-11-30", "2026-11-30T08:00Z", "2026-11-30T08:00:00", "2026-11-30T08:00:00+08:00",
        "2026-11-30t08:00:00Z", "2026-11-30T08:00:00z", "2026-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-30T24:00:00Z",
        "2026-11-30T08:60:00Z", "2026-11-30T08:00:60Z", "2026-11-30T08:00:00.Z",
        "1969-12-31T23:59:59Z", "2026-11-30T08:00:00Z ", "2026-1-30T08:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339Millis(bad).has_value()) << bad;
  }
}

TEST(Rfc3339, FormatRoundTrips) {
  for (int64_t ms : {0LL, 1796025600000LL, 1796025600500LL, 1709251199000LL, 253402300799999LL}) {
    EXPECT_EQ(ParseRfc3339Millis(FormatRfc3339Millis(ms)), ms);
  }
  EXPECT_EQ(FormatRfc3339Millis(1796025600000LL), "2026-11-30T08:00:00Z");
}

TEST(Dates, ParseCalendarDates) {
  EXPECT_EQ(ParseDateMillis("2026-11-30"), 1795996800000LL);
  EXPECT_FALSE(ParseDateMillis("2026-02-30").has_value());
  EXPECT_FALSE(ParseDateMillis("2026-11-30T00:00:00Z").has_value());
}

}  // namespace
}  // namespace traceledger

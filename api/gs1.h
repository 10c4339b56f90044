// Resolving what a person scans to what the ledger keys (DESIGN.md §7; docs/api.md,
// "Trace"): a plain code, a GS1 element string such as
// "(01)06901234567892(21)ABC123" (any order of AIs, optional (10) lot, (17)
// expiry, ...), or a GS1 Digital Link path "/01/{gtin}/21/{serial}",
// "/01/{gtin}/10/{lot}", "/01/{gtin}/10/{lot}/21/{serial}", "/00/{sscc}".
//
// Items are keyed by their canonical code (contracts/ids.h):
// "(01)<GTIN-14>(21)<serial>" or "(00)<SSCC-18>"; a GTIN with a lot and no
// serial names a lot.
//
// Errors (each a 400): BAD_ELEMENT_STRING (not a well-formed element string,
// unknown or repeated AI, missing key), BAD_GTIN / BAD_SSCC (wrong length or
// check digit), BAD_DIGITAL_LINK (a path that is not a Digital Link we resolve),
// BAD_CODE (a plain code outside the code alphabet).
//
// Pure functions: thread-safe.
#ifndef TRACELEDGER_API_GS1_H_
#define TRACELEDGER_API_GS1_H_

#include <string>
#include <string_view>

#include "ledger/status.h"

namespace traceledger::api {

struct TraceTarget {
  enum Kind { kCode, kLot };
  Kind kind = kCode;
  std::string code;  // kCode: the canonical code
  std::string gtin;  // kLot (and GS1 item codes): GTIN-14
  std::string lot;   // kLot; for kCode the (10) lot if one was given
  bool operator==(const TraceTarget&) const = default;
};

// The {code} of GET /v1/trace/{code} (already percent-decoded).
Result<TraceTarget> ParseTraceCode(std::string_view text);

// A Digital Link path ("/01/..." or "/00/...").
Result<TraceTarget> ParseDigitalLink(std::string_view path);

// A GTIN-8/12/13/14 left-padded to 14 digits and check-digit validated
// (BAD_GTIN otherwise).
Result<std::string> NormalizeGtin(std::string_view gtin);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_GS1_H_

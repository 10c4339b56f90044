// The batch body of POST /v1/transactions, {"transactions": [envelope, ...]},
// split into the exact bytes of each envelope (docs/api.md).
//
// The envelopes are not parsed or re-serialised here: each one then goes to
// ParseEnvelope (ledger/envelope.h) exactly as if it had been posted alone, so
// it gets exactly the error code it would get alone — a member twice is
// ENVELOPE_DUPLICATE_KEY, nesting past 16 levels ENVELOPE_TOO_DEEP — and an
// accepted envelope keeps the bytes its signer sent.
//
// The wrapper is checked strictly: one JSON object whose only member is
// "transactions" (once, however it is spelled with escapes), an array of
// 1..max_envelopes values, and nothing after the object but whitespace.
// Each element is delimited by one forward scan that follows strings (and
// their escapes) and counts brackets: it never recurses and keeps no stack,
// so an element nested 80,000 levels deep costs one pass over its bytes and no
// memory. The scan checks no more of an element than that its strings end and
// its brackets balance; everything else is ParseEnvelope's to judge.
//
// Errors:
//   BAD_REQUEST      the body is not such an object (the message says what is
//                    wrong and at which byte, and never quotes the body)
//   BATCH_TOO_LARGE  more than max_envelopes elements (the message counts them)
//
// Thread-safety: a pure function.
#ifndef TRACELEDGER_API_BATCH_H_
#define TRACELEDGER_API_BATCH_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace traceledger::api {

// Fills *envelopes with views into `body` (without surrounding whitespace),
// in order. On an error *envelopes is unspecified.
Status SplitBatch(std::string_view body, size_t max_envelopes,
                  std::vector<std::string_view>* envelopes);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_BATCH_H_

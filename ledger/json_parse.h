// The one way the node parses JSON text it is given (envelopes, payloads,
// request bodies, genesis and configuration files, tracectl's inputs).
//
// Strict and bounded: the text must be at most `max_bytes`; containers may
// nest at most `max_depth` levels (the outermost object or array is level 1;
// parsing stops at the first container beyond the limit, so a deeply nested
// text costs no more than a shallow one); a member name may appear only once
// per object; strings must be valid UTF-8 (RFC 8259 via nlohmann/json's lexer);
// nothing may follow the value. No exception leaves ParseJson.
//
// Error codes are `<prefix>_<WHAT>` so each document keeps its own names
// (ENVELOPE_TOO_DEEP, PAYLOAD_DUPLICATE_KEY, GENESIS_MALFORMED_JSON, ...):
//   <prefix>_TOO_LARGE        the text is longer than max_bytes
//   <prefix>_MALFORMED_JSON   not JSON text (or not valid UTF-8)
//   <prefix>_TOO_DEEP         nested deeper than max_depth
//   <prefix>_DUPLICATE_KEY    a member name twice in one object
// Messages name the document (`what`), say where (byte offset, member name)
// and never copy raw input bytes that are not valid UTF-8.
//
// Thread-safety: pure functions.
#ifndef TRACELEDGER_LEDGER_JSON_PARSE_H_
#define TRACELEDGER_LEDGER_JSON_PARSE_H_

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace traceledger {

struct JsonLimits {
  size_t max_bytes = 1 << 20;
  int max_depth = 16;
};

// Parses `text` into *out under `limits`. `what` names the document in
// messages ("payload", "the genesis file"); `code_prefix` prefixes the codes.
Status ParseJson(std::string_view text, const JsonLimits& limits, std::string_view what,
                 std::string_view code_prefix, nlohmann::json* out);

// Serialises `value` as compact JSON text. Strings that are not valid UTF-8
// (which ParseJson never produces, but a caller may have built) are written
// with U+FFFD in place of each bad byte instead of throwing.
std::string DumpJson(const nlohmann::json& value);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_JSON_PARSE_H_

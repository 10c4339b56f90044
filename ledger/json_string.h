// A strict scanner for flat JSON objects whose members are all strings, such
// as the transaction envelope. It exists for speed on the hot submission path
// (nlohmann/json builds a DOM; this decodes in place). It accepts exactly what
// RFC 8259 accepts for such objects: escapes \" \\ \/ \b \f \n \r \t \uXXXX
// (surrogate pairs combined, lone surrogates refused), no raw control
// characters, valid UTF-8 only. Tests compare it against nlohmann/json.
//
// Thread-safety: pure functions.
#ifndef TRACELEDGER_LEDGER_JSON_STRING_H_
#define TRACELEDGER_LEDGER_JSON_STRING_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace traceledger {

enum class FlatObjectError {
  kNone,
  kMalformed,     // not JSON text
  kNotObject,     // JSON, but not an object
  kNotAllString,  // an object with a member whose value is not a string
};

// Decodes `text` as a JSON object of string members, in document order
// (duplicates are kept; the caller decides). On kNotAllString the caller may
// fall back to a general parser for a better message.
FlatObjectError ParseFlatStringObject(std::string_view text,
                                      std::vector<std::pair<std::string, std::string>>* members);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_JSON_STRING_H_

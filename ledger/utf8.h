// UTF-8 text: validation, truncation on code point boundaries, and a printable
// form of bytes that are not text.
//
// Every string the ledger writes into consensus state, a receipt or a JSON
// answer must be valid UTF-8 (docs/security.md): JSON and protobuf `string`
// fields refuse anything else, so one invalid byte could make a block
// unreadable. Text from clients is validated at the door; text the node cuts
// to a length is cut with Utf8Prefix; text echoed in an error message goes
// through SanitizeUtf8.
//
// "Valid" is RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), no
// code point above U+10FFFF.
//
// Thread-safety: pure functions.
#ifndef TRACELEDGER_LEDGER_UTF8_H_
#define TRACELEDGER_LEDGER_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace traceledger {

// Length (1..4) of the valid UTF-8 sequence that starts at s[i], or 0 when the
// bytes there are not one. Requires i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

// True if `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// The byte offset of the first byte that does not start a valid sequence, or
// std::string_view::npos when `s` is valid.
size_t FirstInvalidUtf8(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` bytes that does not end
// inside a multi-byte sequence. For valid `s` the prefix is valid.
std::string_view Utf8Prefix(std::string_view s, size_t max_bytes);

// `s` with every byte that is not part of a valid sequence replaced by U+FFFD
// (one replacement per invalid byte), so it can be shown to a person or put in
// JSON. Valid input is returned unchanged.
std::string SanitizeUtf8(std::string_view s);

// Appends code point `cp` (<= U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_UTF8_H_

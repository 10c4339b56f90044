// Hex encoding. Output is lowercase; parsing accepts lowercase only, because
// keys, ids and signatures have exactly one written form (DESIGN.md §2).
#ifndef TRACELEDGER_LEDGER_HEX_H_
#define TRACELEDGER_LEDGER_HEX_H_

#include <optional>
#include <string>
#include <string_view>

namespace traceledger {

std::string ToHex(std::string_view bytes);
// nullopt if `hex` has odd length or a character outside [0-9a-f].
std::optional<std::string> FromHex(std::string_view hex);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_HEX_H_

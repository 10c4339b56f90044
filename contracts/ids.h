// Identifier checks (docs/contracts.md, "Identifiers").
//
// - USCC (GB 32100-2015): 18 characters of 0123456789ABCDEFGHJKLMNPQRTUWXY; the
//   18th is the check character: C18 = (31 - sum(C_i * 3^(i-1) mod 31)) mod 31.
// - GTIN-14: 14 digits with the GS1 mod-10 check digit (weights 3,1,3,... from
//   the right, check digit excluded). SSCC: 18 digits, same algorithm.
// - Codes: 1..128 characters of the safe alphabet [A-Za-z0-9] and - . _ : / ( ) +
//   A code that starts with '(' must be a canonical GS1 element string:
//   "(01)<GTIN-14>(21)<serial>" or "(00)<SSCC-18>", serial 1..20 characters of
//   [A-Za-z0-9-._:/+].
// - Ids (lot, shipment_id, recall_id, doc_id, report_id, product codes that are
//   not GTINs): 1..64 characters of the same safe alphabet.
//
// Pure functions: thread-safe.
#ifndef TRACELEDGER_CONTRACTS_IDS_H_
#define TRACELEDGER_CONTRACTS_IDS_H_

#include <string>
#include <string_view>

namespace traceledger {

inline constexpr size_t kMaxCodeLength = 128;
inline constexpr size_t kMaxIdLength = 64;

bool IsValidUscc(std::string_view uscc);
// The check character for the first 17 characters, or '\0' if they are not
// 17 characters of the USCC alphabet.
char UsccCheckChar(std::string_view first17);

// GS1 mod-10 check digit over `digits` (the key without its check digit);
// -1 if `digits` holds a non-digit.
int Gs1CheckDigit(std::string_view digits);
bool IsValidGtin14(std::string_view gtin);
bool IsValidSscc(std::string_view sscc);

// A code (see above). On failure `why` says what is wrong.
bool IsValidCode(std::string_view code, std::string* why = nullptr);
bool IsValidId(std::string_view id);
// The GTIN inside a "(01)...(21)..." code, or "" if the code is not one.
std::string_view GtinOfCode(std::string_view code);

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_IDS_H_

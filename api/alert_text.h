// The Chinese text of an alert. The contracts write an alert's message in
// English, in one fixed shape per kind (contracts/tx_quality.cc,
// tx_custody.cc, tx_recall.cc); the pages are zh-CN first, so the API gives
// each alert a `message_zh` made from those shapes.
//
// Thread-safety: pure function.
#ifndef TRACELEDGER_API_ALERT_TEXT_H_
#define TRACELEDGER_API_ALERT_TEXT_H_

#include <string>
#include <string_view>

namespace traceledger::api {

// `message` of an alert of `kind` in Chinese; "" when the message is not in
// the shape the contracts write for that kind (callers then show the English).
std::string AlertMessageZh(std::string_view kind, std::string_view message);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_ALERT_TEXT_H_

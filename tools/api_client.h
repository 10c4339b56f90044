// A client of one node's HTTP API (DESIGN.md §7) for tracectl: submits envelopes
// and reads JSON, following "no leader, retry" (503/429) with backoff and
// turning "accepted, pending" into a receipt when asked to wait.
//
// Thread-safety: pure functions; safe from many threads.
#ifndef TRACELEDGER_TOOLS_API_CLIENT_H_
#define TRACELEDGER_TOOLS_API_CLIENT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger::cli {

// The outcome of one submitted envelope.
struct SubmitOutcome {
  enum Kind { kOk, kRejected, kRefused, kPending };
  Kind kind = kRefused;
  std::string tx_id;  // hex, when known
  std::string code;   // rejected/refused: the error code
  std::string message;
  uint64_t height = 0;
  uint32_t index = 0;
  int http_status = 0;
  int attempts = 0;
};

// "ok", "rejected", "refused", "pending".
const char* KindName(SubmitOutcome::Kind k);

struct SubmitOptions {
  bool wait = true;         // ?wait=commit
  int wait_ms = 10000;      // per request
  int deadline_ms = 45000;  // overall, including retries
  int max_retries = 8;      // 503 / 429 / pending
  // The chain's hash, when known: lets the client compute the tx id itself and
  // find its transaction even if the first answer was lost.
  std::optional<HashAlg> hash;
};

// Posts one envelope (its JSON text) to node_url/v1/transactions. On 503
// (NO_LEADER) and 429 it retries with backoff. When waiting and the answer is
// "pending", it asks again (a resubmission is idempotent: the ledger keeps a
// transaction once) and looks the transaction up once it is a DUPLICATE.
// A non-OK Status means the node could not be reached or answered garbage.
Result<SubmitOutcome> SubmitEnvelope(const std::string& node_url, const std::string& envelope,
                                     const SubmitOptions& options);

// GET node_url + path and parse the JSON body. Non-2xx answers become a Status
// with the body's error code and message.
Result<nlohmann::json> GetJson(const std::string& node_url, const std::string& path,
                               int timeout_ms = 5000);

// node_url without a trailing '/'.
std::string TrimUrl(std::string url);

// Reading answers without trusting their shape: member `key` of `j` if `j` is
// an object and the member a string (else ""), or a non-negative integer
// (else 0); `j` if it is an object (else an empty one).
std::string JsonString(const nlohmann::json& j, const char* key);
uint64_t JsonU64(const nlohmann::json& j, const char* key);
const nlohmann::json& JsonObject(const nlohmann::json& j, const char* key);

// Parses an answer's body with the strict parser (ledger/json_parse.h): at
// most kMaxHttpResponseBytes, nested at most kMaxAnswerDepth. Errors are
// HTTP_BAD_RESPONSE naming `url`.
inline constexpr int kMaxAnswerDepth = 64;
Status ParseAnswer(std::string_view body, const std::string& url, nlohmann::json* out);

}  // namespace traceledger::cli

#endif  // TRACELEDGER_TOOLS_API_CLIENT_H_

// GET /v1/trace/{code} and GS1 Digital Link resolution (DESIGN.md §5, §7;
// docs/api.md, "Trace").
//
// The answer is the item as the ledger knows it (status first, with a plain
// "warning" when it is quarantined, recalled or expired), its events in order,
// alerts, recall, lineage, documents, the per-code hash chain, the events of its
// lot as a whole with the lot's hash chain, and a proof that
// `tracectl verify-trace` checks offline with nothing but the genesis file:
// every event's envelope, receipt and RFC 6962 inclusion proofs, the headers of
// the blocks involved (every field, so block_hash can be recomputed) and the
// validators' attestations of those blocks.
//
// Events are read from the block store's transaction and header records
// (envelope, receipt and both audit paths per event; no whole block is
// loaded, docs/storage.md), and whole answers are cached per node
// (TraceAnswerCache, exact by read generation) and so are the proofs' blocks
// (BlockProofCache, exact because complete ones never change). Everything is read through
// indexes (the item, its per-code event list, its alerts, documents,
// children, the records by height and index); nothing scans the state.
// Limits: at most kMaxTraceEvents events and as many lot events per answer
// (page with events_from / events_limit, lot_events_from / lot_events_limit),
// kMaxTraceList children, alerts, documents or lot codes.
//
// Thread-safety: the functions only read the node's thread-safe stores.
#ifndef TRACELEDGER_API_TRACE_ROUTES_H_
#define TRACELEDGER_API_TRACE_ROUTES_H_

#include <cstddef>
#include <optional>
#include <string>

#include "api/gs1.h"
#include "api/http_server.h"
#include "api/trace_cache.h"
#include "node/node.h"

namespace traceledger::api {

inline constexpr size_t kDefaultTraceEvents = 200;
inline constexpr size_t kMaxTraceEvents = 1000;
inline constexpr size_t kMaxTraceList = 1000;
inline constexpr size_t kDefaultLotCodes = 100;
inline constexpr size_t kMaxReadingValues = 100;  // reading values shown per event

// Answers GET /v1/trace/..., /01/... and /00/... and returns true; returns
// false (and leaves `out` alone) for any other path. With caches (may be
// null), 200 answers are kept and served from them while the node's read
// generation is unchanged, and the proofs' blocks once every validator has
// attested them (api/trace_cache.h): byte-identical to a fresh answer.
bool HandleTraceRoute(node::Node* node, TraceCaches* caches, const HttpRequest& req,
                      HttpResponse* out);
// True for the paths HandleTraceRoute answers.
bool IsTracePath(const std::string& path);
// A browser (Accept: text/html) following a GS1 Digital Link to one item or
// case — what a phone opens from the QR code on a pack — is sent to the trace
// page: the "/t/{code}" to redirect it to (302). Nothing for any other
// request (API clients get the JSON answer) nor for a lot link (no lot page).
std::optional<std::string> TracePageFor(const HttpRequest& req);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_TRACE_ROUTES_H_

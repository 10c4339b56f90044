// The cockpit (驾驶舱) aggregates (docs/api.md, "GET /v1/cockpit").
//
// Everything comes from counters and indexes, never a scan of all state:
//  - the contracts' counters (x|NAME: items by status and category, events by
//    type, alerts, shipments, recalls, enterprises), read with
//    contracts/cockpit_query.h;
//  - small indexes: open alerts (ao|), the alert sequence, recalls (r|), the
//    registry (e|, recounted only when an enterprise counter changes);
//  - a follower of the block store kept here: per-minute event counts by
//    programme for the last 24 hours of block time, and the recent blocks for
//    transactions/s and block interval. On the first request it reads back at
//    most kMaxBackfillBlocks blocks (24 h of block time), then only new blocks.
//
// Answers are cached per (applied state, wall-clock second): a wall of screens
// refreshing every few seconds costs one computation per new block.
//
// Thread-safety: all methods may be called from any thread (one mutex).
#ifndef TRACELEDGER_API_COCKPIT_H_
#define TRACELEDGER_API_COCKPIT_H_

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "api/metrics.h"
#include "node/node.h"

namespace traceledger::api {

// The programmes of the supervision platform.
enum Programme : int { kVaccineProg = 0, kColdChainProg, kFoodProg, kOtherProg, kProgCount };
const char* ProgrammeName(int p);  // "vaccine", "cold_chain", "food", "other"

class Cockpit {
 public:
  static constexpr uint64_t kMaxBackfillBlocks = 20000;
  static constexpr uint64_t kMaxBlocksPerCall = 5000;
  static constexpr size_t kMaxOpenAlertsScanned = 100000;
  static constexpr size_t kMaxEnterprisesScanned = 100000;
  static constexpr size_t kMaxRecalls = 500;
  static constexpr size_t kNewestAlerts = 12;
  static constexpr int64_t kWindowMs = 24 * 3600 * 1000;

  explicit Cockpit(node::Node* node);
  ~Cockpit();

  // The /v1/cockpit document as JSON text at wall-clock time now_ms.
  std::string Json(int64_t now_ms);
  // Rates for /metrics (follows new blocks first).
  LedgerRates Rates(int64_t now_ms);

  struct Window;  // per-minute buckets (cockpit.cc)

 private:
  void FollowLocked(int64_t now_ms);

  node::Node* node_;
  std::mutex mu_;
  std::unique_ptr<Window> window_;
  bool backfilled_ = false;
  uint64_t next_height_ = 0;
  uint64_t deferred_height_ = UINT64_MAX;
  // Enterprise tally cache, keyed by the enterprise counters it was taken at.
  std::pair<int64_t, int64_t> ent_key_{-1, -1};
  std::string ent_json_;
  // Answer cache, keyed by the transactions applied and the wall-clock second.
  uint64_t cache_applied_ = UINT64_MAX;
  int64_t cache_second_ = -1;
  std::string cache_;
};

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_COCKPIT_H_

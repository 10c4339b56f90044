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
//    transactions/s and block interval.
//
// The follower runs on threads of its own (Start), never on a request:
//  - the follower thread, every kFollowIntervalMs, reads the blocks appended
//    since, one block per step, and merges what the walk back found;
//  - the walk-back thread, at the lowest priority, reads back over at most
//    kMaxBackfillBlocks blocks from the one that was newest at Start (24 h of
//    block time), newest first, and queues each block's counts (at most
//    kMaxBackfillQueued waiting); it ends when done. A restart on a long chain
//    thus costs its CPU only when the machine has some to spare.
// The follower thread alone owns the windows; it publishes an immutable copy
// (an atomic shared_ptr) after every step that changed them, and requests
// read that copy. So a request never waits for a catch-up, nor for a lock a
// low-priority thread may hold while preempted: at most for another request
// computing the same second's answer. The windows trail
// the applied blocks by about one interval while the follower keeps up;
// `events.window_height` says
// which block they include, `events.window_complete` whether the backfill has
// finished (and was not cut short by its bound).
//
// Answers are built off the request path too: while someone asked in the last
// kWatchedMs, the follower thread rebuilds the answer once it is kRefreshAgeMs
// old or the node's stores (Node::read_generation) or the windows changed. A
// request serves the last answer built while the stores and the windows are
// unchanged and it is younger than kMaxAnswerAgeMs (its node status — role,
// peers, mempool — may be that old); otherwise it builds one itself, unless
// another thread is building one and the last is younger than twice that.
// So under read load a request reads no store at all: a few atomic loads and
// a copy.
//
// Thread-safety: Json and Rates may be called from any thread. Start and
// FollowStep are called from one thread at a time (the follower thread, or a
// test that has not started it); the destructor stops the follower.
#ifndef TRACELEDGER_API_COCKPIT_H_
#define TRACELEDGER_API_COCKPIT_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/metrics.h"
#include "node/node.h"

namespace traceledger::api {

// The programmes of the supervision platform.
enum Programme : int { kVaccineProg = 0, kColdChainProg, kFoodProg, kOtherProg, kProgCount };
const char* ProgrammeName(int p);  // "vaccine", "cold_chain", "food", "other"

class Cockpit {
 public:
  static constexpr uint64_t kMaxBackfillBlocks = 20000;
  static constexpr int kFollowIntervalMs = 250;
  static constexpr size_t kMaxBackfillQueued = 1024;  // blocks' counts
  static constexpr int64_t kMaxAnswerAgeMs = 1000;
  static constexpr int64_t kRefreshAgeMs = 500;
  static constexpr int64_t kWatchedMs = 10000;
  static constexpr size_t kMaxOpenAlertsScanned = 100000;
  static constexpr size_t kMaxEnterprisesScanned = 100000;
  static constexpr size_t kMaxRecalls = 500;
  static constexpr size_t kNewestAlerts = 12;
  static constexpr int64_t kWindowMs = 24 * 3600 * 1000;

  explicit Cockpit(node::Node* node);
  ~Cockpit();  // Stops the follower (waits for its current step).
  Cockpit(const Cockpit&) = delete;
  Cockpit& operator=(const Cockpit&) = delete;

  // Starts the follower thread `nice_increment` below the caller's priority
  // and the walk-back thread `backfill_nice_increment` below it
  // (LowerThreadPriority in api/work_queue.h). Once, before any FollowStep.
  void Start(int nice_increment, int backfill_nice_increment);

  // The /v1/cockpit document as JSON text at wall-clock time now_ms. Never
  // reads a block.
  std::string Json(int64_t now_ms);
  // Rates for /metrics. Never reads a block.
  LedgerRates Rates(int64_t now_ms);

  // One step of the follower at wall-clock time now_ms: merges what the walk
  // back queued, then reads at most one block — the next new one, or, when
  // Start was not called, the next older one of the walk back — and
  // publishes the windows. True if there is more to read right now. Exposed
  // for tests that drive the follower without its threads.
  bool FollowStep(int64_t now_ms);

  struct Window;  // per-minute buckets (cockpit.cc)
  struct Memo;    // categories looked up (cockpit.cc)
  struct Counts;  // what one block adds (cockpit.cc)
  struct Answer;  // a built answer (cockpit.cc)

 private:
  void Init();  // the cursors, from the newest block
  void FollowLoop();
  void BackfillLoop();
  // One block of the walk back, queued; false once the walk has ended.
  bool BackfillStep(int64_t now_ms);
  // Merges what the walk back queued; true if the windows changed.
  bool MergeBackfill();
  // Rebuilds the answer if it is watched and stale (the follower thread).
  void Refresh(int64_t now_ms);
  // Builds, publishes and returns the answer; answer_mu_ held.
  std::shared_ptr<const Answer> BuildLocked(int64_t now_ms, uint64_t generation);
  void Publish();  // a copy of window_ for the requests

  node::Node* node_;

  // The follower's cursor: touched only by the thread running FollowStep
  // (and Start, before it starts that thread).
  bool started_ = false;
  bool backfill_threaded_ = false;  // the walk back has a thread of its own
  uint64_t next_height_ = 0;        // the next new block to read
  uint64_t deferred_height_ = UINT64_MAX;
  std::unique_ptr<Memo> memo_;

  // The walk back's cursor: touched only by the thread running BackfillStep
  // (and Init, before it starts).
  bool back_active_ = false;
  uint64_t back_height_ = 0;  // the next older block to read
  uint64_t back_read_ = 0;    // blocks read
  std::unique_ptr<Memo> back_memo_;

  // What the walk back found, for the follower to merge.
  std::mutex back_mu_;
  std::condition_variable back_cv_;  // the queue has room, or stopping
  std::vector<Counts> back_queue_;   // guarded by back_mu_
  bool back_ended_ = false;          // guarded by back_mu_
  bool back_truncated_ = false;      // guarded by back_mu_
  bool back_stopping_ = false;       // guarded by back_mu_

  // The windows (per-minute counts, recent blocks) and the follower's
  // progress: built by the follower thread alone, read by requests through
  // the copy it last published.
  std::unique_ptr<Window> window_;
  std::atomic<std::shared_ptr<const Window>> published_;

  // Held while an answer is built; guards the enterprise tally.
  std::mutex answer_mu_;
  // Enterprise tally cache, keyed by the enterprise counters it was taken at.
  std::pair<int64_t, int64_t> ent_key_{-1, -1};
  std::string ent_json_;
  // The last answer built, and when a request last asked.
  std::atomic<std::shared_ptr<const Answer>> answer_;
  std::atomic<int64_t> asked_ms_{INT64_MIN / 2};

  // The follower thread.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread follower_;
  std::thread backfiller_;
};

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_COCKPIT_H_

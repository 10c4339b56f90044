// Progress: the leader's view of one follower's log, and the flow control for
// the appends it sends there.
//
// States (as in etcd):
//   kProbe      the leader does not know the follower's match; it sends at most
//               one append per heartbeat interval and backs off on rejection.
//   kReplicate  the follower is known to match; appends are pipelined
//               (next is advanced optimistically) within the in-flight bounds.
//   kSnapshot   a snapshot is on its way; nothing else is sent until it is
//               acknowledged, reported, or times out.
//
// Invariant: match < next.
// Thread-safety: none; owned by one Raft instance.
#ifndef TRACELEDGER_CONSENSUS_PROGRESS_H_
#define TRACELEDGER_CONSENSUS_PROGRESS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

namespace traceledger::raft {

// The appends sent but not yet acknowledged, bounded by count and bytes.
class Inflights {
 public:
  Inflights(size_t max_count, uint64_t max_bytes) : max_count_(max_count), max_bytes_(max_bytes) {}
  void Add(uint64_t last_index, uint64_t bytes);
  // Acknowledges every append whose last index is <= index.
  void FreeLE(uint64_t index);
  void FreeFirstOne();
  bool Full() const { return q_.size() >= max_count_ || (max_bytes_ > 0 && bytes_ >= max_bytes_); }
  size_t count() const { return q_.size(); }
  uint64_t bytes() const { return bytes_; }
  void Reset() {
    q_.clear();
    bytes_ = 0;
  }

 private:
  size_t max_count_;
  uint64_t max_bytes_;  // 0: no byte bound
  uint64_t bytes_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> q_;  // (last index, bytes)
};

struct Progress {
  enum class State { kProbe, kReplicate, kSnapshot };

  Progress(uint64_t next_index, size_t max_inflight, uint64_t max_inflight_bytes)
      : next(next_index), inflights(max_inflight, max_inflight_bytes) {}

  uint64_t match = 0;
  uint64_t next = 1;
  State state = State::kProbe;
  bool probe_sent = false;        // kProbe: an append is outstanding
  uint64_t pending_snapshot = 0;  // kSnapshot: index of the snapshot sent
  int snapshot_elapsed = 0;       // kSnapshot: ticks since it was sent
  bool recent_active = false;     // heard from within the check-quorum window
  Inflights inflights;

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(uint64_t snapshot_index);
  // A successful append response for `index`. Returns false when stale.
  bool MaybeUpdate(uint64_t index);
  // A rejection of the append after `rejected`, with the follower's hint of the
  // largest index that may match. Returns false when stale.
  bool MaybeDecrTo(uint64_t rejected, uint64_t match_hint);
  bool IsPaused() const;
  const char* StateName() const;
};

}  // namespace traceledger::raft

#endif  // TRACELEDGER_CONSENSUS_PROGRESS_H_

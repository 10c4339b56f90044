// RaftLog: the in-memory Raft log of one replica, from the last snapshot onwards.
//
// Layout: indexes (snap_index, last_index] are held in `entries_`; everything up
// to snap_index is covered by the latest snapshot (term snap_term). Entries with
// index <= stabled have been handed to the caller for persistence; those above
// are "unstable" and appear in the next Ready.
//
// Invariants (checked with RAFT_ASSERT):
//   snap_index <= applied <= committed <= last_index
//   committed never decreases; an entry at index <= committed is never replaced
//   entries_ are contiguous and their terms never decrease
//
// Thread-safety: none; owned by one Raft instance.
#ifndef TRACELEDGER_CONSENSUS_LOG_H_
#define TRACELEDGER_CONSENSUS_LOG_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/types.h"

namespace traceledger::raft {

class RaftLog {
 public:
  RaftLog() = default;
  // Restores from durable state: snapshot position, entries after it, commit.
  void Restore(uint64_t snap_index, uint64_t snap_term, std::vector<Entry> entries,
               uint64_t committed, uint64_t applied);

  uint64_t FirstIndex() const { return snap_index_ + 1; }
  uint64_t LastIndex() const { return snap_index_ + entries_.size(); }
  uint64_t LastTerm() const { return entries_.empty() ? snap_term_ : entries_.back().term; }
  uint64_t SnapIndex() const { return snap_index_; }
  uint64_t SnapTerm() const { return snap_term_; }
  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  uint64_t stabled() const { return stabled_; }

  // Term of entry `i`; nullopt when compacted (i < snap_index) or beyond the end.
  // Index 0 has term 0.
  std::optional<uint64_t> Term(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t term) const {
    auto t = Term(i);
    return t && *t == term;
  }
  // The entry at `i`, which must be in (snap_index, last_index].
  const Entry& At(uint64_t i) const;

  // Raft §5.4.1: is a log ending at (last_index, last_term) at least as up to date?
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const {
    return last_term > LastTerm() || (last_term == LastTerm() && last_index >= LastIndex());
  }

  // Follower side of AppendEntries. If the entry at `index` has term `log_term`,
  // appends `ents` (truncating any conflicting suffix), advances the commit
  // index to min(commit, index + ents.size()) — never past the prefix this
  // message proved matched — and returns that last new index. Otherwise nullopt.
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term, uint64_t commit,
                                      const std::vector<Entry>& ents);
  // Appends entries whose first index is <= last_index + 1, truncating a
  // conflicting suffix. Returns the new last index.
  uint64_t Append(const std::vector<Entry>& ents);

  // Largest index <= `index` whose term is <= `term` (fast backtracking). Returns
  // snap_index when the search reaches the compacted prefix.
  uint64_t FindConflictByTerm(uint64_t index, uint64_t term) const;

  // Entries [lo, hi), at least one if any, at most max_bytes of payload beyond
  // the first. Requires snap_index < lo <= hi <= last_index + 1.
  std::vector<Entry> Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  void CommitTo(uint64_t index);
  // Leader: commit `index` if it is newer and from `term` (the current-term rule).
  bool MaybeCommit(uint64_t index, uint64_t term);
  void AppliedTo(uint64_t index);
  void StableTo(uint64_t index) {
    if (index > stabled_) stabled_ = index;
  }

  // Entries not yet handed out for persistence.
  std::vector<Entry> UnstableEntries() const;
  bool HasUnstable() const { return LastIndex() > stabled_; }
  // Committed entries not yet applied, from applied + 1 on: at least one if
  // any, and no more than max_bytes of payload beyond the first (0: no limit).
  std::vector<Entry> NextCommitted(uint64_t max_bytes = 0) const;
  bool HasNextCommitted() const { return committed_ > applied_; }

  // Replaces the log with a snapshot position (follower installing a snapshot).
  void RestoreSnapshot(uint64_t index, uint64_t term);
  // Discards entries <= index (application has a durable snapshot at index).
  void Compact(uint64_t index);

 private:
  void TruncateAndAppend(const std::vector<Entry>& ents, size_t from);

  uint64_t snap_index_ = 0;
  uint64_t snap_term_ = 0;
  std::vector<Entry> entries_;
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
  uint64_t stabled_ = 0;
};

}  // namespace traceledger::raft

#endif  // TRACELEDGER_CONSENSUS_LOG_H_

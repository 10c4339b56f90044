#include "consensus/log.h"

#include <algorithm>
#include <string>

#include "consensus/assert.h"

namespace traceledger::raft {

void RaftLog::Restore(uint64_t snap_index, uint64_t snap_term, std::vector<Entry> entries,
                      uint64_t committed, uint64_t applied) {
  snap_index_ = snap_index;
  snap_term_ = snap_term;
  entries_ = std::move(entries);
  for (size_t k = 0; k < entries_.size(); ++k) {
    RAFT_ASSERT(entries_[k].index == snap_index_ + 1 + k, "restored entries are not contiguous");
  }
  stabled_ = LastIndex();
  committed_ = std::max(committed, snap_index);
  applied_ = std::max(applied, snap_index);
  RAFT_ASSERT(committed_ <= LastIndex(), "restored commit " + std::to_string(committed_) +
                                             " beyond last index " + std::to_string(LastIndex()));
  RAFT_ASSERT(applied_ <= committed_, "restored applied beyond commit");
}

std::optional<uint64_t> RaftLog::Term(uint64_t i) const {
  if (i == snap_index_) return snap_term_;
  if (i < snap_index_ || i > LastIndex()) return std::nullopt;
  return entries_[i - snap_index_ - 1].term;
}

const Entry& RaftLog::At(uint64_t i) const {
  RAFT_ASSERT(i > snap_index_ && i <= LastIndex(), "entry " + std::to_string(i) + " not in log");
  return entries_[i - snap_index_ - 1];
}

std::optional<uint64_t> RaftLog::MaybeAppend(uint64_t index, uint64_t log_term, uint64_t commit,
                                             const std::vector<Entry>& ents) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  uint64_t last_new = index + ents.size();
  // Find the first entry that is new or conflicts; entries already present with
  // the same term must be identical (log matching).
  size_t k = 0;
  for (; k < ents.size(); ++k) {
    const Entry& e = ents[k];
    RAFT_ASSERT(e.index == index + 1 + k, "append batch is not contiguous");
    if (e.index <= snap_index_) continue;  // covered by our snapshot
    auto t = Term(e.index);
    if (!t || *t != e.term) break;
    RAFT_ASSERT(At(e.index).data == e.data,
                "log matching violated at index " + std::to_string(e.index));
  }
  if (k < ents.size()) {
    RAFT_ASSERT(ents[k].index > committed_,
                "conflicting entry at " + std::to_string(ents[k].index) +
                    " would overwrite committed " + std::to_string(committed_));
    TruncateAndAppend(ents, k);
  }
  // Commit only what this message proved we hold: the matched prefix ends at
  // last_new, even when our log continues beyond it with stale entries.
  CommitTo(std::min(commit, last_new));
  return last_new;
}

uint64_t RaftLog::Append(const std::vector<Entry>& ents) {
  if (ents.empty()) return LastIndex();
  RAFT_ASSERT(ents.front().index > committed_, "append would overwrite committed entries");
  TruncateAndAppend(ents, 0);
  return LastIndex();
}

void RaftLog::TruncateAndAppend(const std::vector<Entry>& ents, size_t from) {
  uint64_t first = ents[from].index;
  RAFT_ASSERT(
      first > snap_index_ && first <= LastIndex() + 1,
      "append at " + std::to_string(first) + " leaves a gap after " + std::to_string(LastIndex()));
  entries_.resize(first - snap_index_ - 1);
  if (stabled_ >= first) stabled_ = first - 1;
  uint64_t prev_term = LastTerm();
  for (size_t k = from; k < ents.size(); ++k) {
    RAFT_ASSERT(ents[k].term >= prev_term, "entry terms decrease in log");
    prev_term = ents[k].term;
    entries_.push_back(ents[k]);
  }
}

uint64_t RaftLog::FindConflictByTerm(uint64_t index, uint64_t term) const {
  if (index > LastIndex()) index = LastIndex();
  while (index > snap_index_) {
    if (At(index).term <= term) return index;
    --index;
  }
  return snap_index_;
}

std::vector<Entry> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes) const {
  RAFT_ASSERT(lo > snap_index_ && lo <= hi && hi <= LastIndex() + 1, "slice out of range");
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const Entry& e = At(i);
    if (!out.empty() && bytes + e.PayloadSize() > max_bytes) break;
    bytes += e.PayloadSize();
    out.push_back(e);
  }
  return out;
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= committed_) return;  // never goes backwards
  RAFT_ASSERT(index <= LastIndex(), "commit " + std::to_string(index) + " beyond last index " +
                                        std::to_string(LastIndex()));
  committed_ = index;
}

bool RaftLog::MaybeCommit(uint64_t index, uint64_t term) {
  if (index > committed_ && MatchTerm(index, term)) {
    CommitTo(index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t index) {
  if (index == 0) return;
  RAFT_ASSERT(index <= committed_, "applied " + std::to_string(index) + " beyond committed " +
                                       std::to_string(committed_));
  RAFT_ASSERT(index >= applied_, "applied index goes backwards");
  applied_ = index;
}

std::vector<Entry> RaftLog::UnstableEntries() const {
  std::vector<Entry> out;
  for (uint64_t i = std::max(stabled_ + 1, FirstIndex()); i <= LastIndex(); ++i) {
    out.push_back(At(i));
  }
  return out;
}

std::vector<Entry> RaftLog::NextCommitted(uint64_t max_bytes) const {
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (uint64_t i = std::max(applied_ + 1, FirstIndex()); i <= committed_; ++i) {
    const Entry& e = At(i);
    if (max_bytes > 0 && !out.empty() && bytes + e.PayloadSize() > max_bytes) break;
    bytes += e.PayloadSize();
    out.push_back(e);
  }
  return out;
}

void RaftLog::RestoreSnapshot(uint64_t index, uint64_t term) {
  RAFT_ASSERT(index > committed_, "snapshot does not advance the commit index");
  snap_index_ = index;
  snap_term_ = term;
  entries_.clear();
  committed_ = index;
  applied_ = index;
  stabled_ = index;
}

void RaftLog::Compact(uint64_t index) {
  if (index <= snap_index_) return;
  RAFT_ASSERT(index <= applied_, "compacting beyond applied");
  uint64_t term = *Term(index);
  entries_.erase(entries_.begin(), entries_.begin() + (index - snap_index_));
  snap_index_ = index;
  snap_term_ = term;
}

}  // namespace traceledger::raft

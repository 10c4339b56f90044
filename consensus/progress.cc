#include "consensus/progress.h"

#include <algorithm>

namespace traceledger::raft {

void Inflights::Add(uint64_t last_index, uint64_t bytes) {
  q_.emplace_back(last_index, bytes);
  bytes_ += bytes;
}

void Inflights::FreeLE(uint64_t index) {
  while (!q_.empty() && q_.front().first <= index) {
    bytes_ -= q_.front().second;
    q_.pop_front();
  }
}

void Inflights::FreeFirstOne() {
  if (q_.empty()) return;
  bytes_ -= q_.front().second;
  q_.pop_front();
}

void Progress::BecomeProbe() {
  if (state == State::kSnapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = State::kProbe;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeReplicate() {
  state = State::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.Reset();
}

void Progress::BecomeSnapshot(uint64_t snapshot_index) {
  state = State::kSnapshot;
  pending_snapshot = snapshot_index;
  snapshot_elapsed = 0;
  probe_sent = false;
  inflights.Reset();
}

bool Progress::MaybeUpdate(uint64_t index) {
  bool updated = false;
  if (index > match) {
    match = index;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, index + 1);
  return updated;
}

bool Progress::MaybeDecrTo(uint64_t rejected, uint64_t match_hint) {
  if (state == State::kReplicate) {
    // Pipelined appends: a rejection at or below match is stale.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probing: only the rejection of the last probe counts.
  if (next == 0 || next - 1 != rejected) return false;
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool Progress::IsPaused() const {
  switch (state) {
    case State::kProbe:
      return probe_sent;
    case State::kReplicate:
      return inflights.Full();
    case State::kSnapshot:
      return true;
  }
  return true;
}

const char* Progress::StateName() const {
  switch (state) {
    case State::kProbe:
      return "probe";
    case State::kReplicate:
      return "replicate";
    case State::kSnapshot:
      return "snapshot";
  }
  return "?";
}

}  // namespace traceledger::raft

// The leader's half of Raft: proposals, replication (pipelining, flow control,
// batching, backtracking), commitment, heartbeats, ReadIndex and leadership
// transfer. The rest of the class is in raft.cc.
#include <algorithm>
#include <string>

#include "consensus/assert.h"
#include "consensus/raft.h"

namespace traceledger::raft {

namespace {

std::string U(uint64_t v) { return std::to_string(v); }

}  // namespace
// --------------------------------------------------------------- leader ----

Status Raft::AppendProposal(std::vector<Entry> ents) {
  if (lead_transferee_ != kNone) {
    return Status::Error("LEADER_TRANSFER_IN_PROGRESS",
                         "raft: leadership is being transferred to n" + U(lead_transferee_));
  }
  uint64_t bytes = 0;
  for (const Entry& e : ents) bytes += e.PayloadSize();
  if (uncommitted_size_ > 0 && uncommitted_size_ + bytes > cfg_.max_uncommitted_bytes) {
    return Status::Error("UNCOMMITTED_LOG_FULL",
                         "raft: " + U(uncommitted_size_) + " bytes are waiting to commit");
  }
  uncommitted_size_ += bytes;
  uint64_t index = log_.LastIndex();
  for (Entry& e : ents) {
    e.term = term_;
    e.index = ++index;
  }
  uint64_t last = log_.Append(ents);
  prs_.at(id_).MaybeUpdate(last);
  MaybeCommit();  // a single-node cluster commits at once
  return Status::OK();
}

bool Raft::MaybeSendAppend(NodeId to, bool send_if_empty) {
  Progress& pr = prs_.at(to);
  if (pr.IsPaused()) return false;
  Message m;
  m.to = to;
  uint64_t prev = pr.next - 1;
  auto prev_term = log_.Term(prev);
  if (!prev_term || pr.next < log_.FirstIndex()) {
    // The follower needs entries we compacted: send the snapshot instead.
    RAFT_ASSERT(snapshot_ && snapshot_->meta.index == log_.SnapIndex(),
                "compacted log without a snapshot");
    m.type = MessageType::kSnap;
    m.snapshot = snapshot_;
    pr.BecomeSnapshot(snapshot_->meta.index);
    Send(std::move(m));
    return true;
  }
  std::vector<Entry> ents;
  if (pr.next <= log_.LastIndex()) {
    ents = log_.Slice(pr.next, log_.LastIndex() + 1, cfg_.max_size_per_msg);
  }
  if (ents.empty() && !send_if_empty) return false;
  m.type = MessageType::kApp;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = log_.committed();
  if (!ents.empty()) {
    uint64_t bytes = 0;
    for (const Entry& e : ents) bytes += e.PayloadSize();
    uint64_t last = ents.back().index;
    if (pr.state == Progress::State::kReplicate) {
      pr.next = last + 1;  // pipelining: optimistic
      pr.inflights.Add(last, bytes);
    }
  }
  if (pr.state == Progress::State::kProbe) pr.probe_sent = true;
  m.entries = std::move(ents);
  Send(std::move(m));
  return true;
}

void Raft::SendAppendPipelined(NodeId to) {
  if (!MaybeSendAppend(to, true)) return;
  while (MaybeSendAppend(to, false)) {
  }
}

void Raft::BroadcastAppend() {
  for (NodeId v : voters_) {
    if (v != id_) SendAppendPipelined(v);
  }
}

void Raft::SendHeartbeat(NodeId to, const std::string& context) {
  const Progress& pr = prs_.at(to);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  // Never tell a follower to commit beyond what it is known to hold.
  m.commit = std::min(pr.match, log_.committed());
  m.context = context;
  Send(std::move(m));
}

void Raft::BroadcastHeartbeat() {
  std::string ctx = reads_.empty() ? std::string() : reads_.back().ack_context;
  for (NodeId v : voters_) {
    if (v != id_) SendHeartbeat(v, ctx);
  }
}

bool Raft::MaybeCommit() {
  std::vector<uint64_t> matches;
  for (NodeId v : voters_) matches.push_back(prs_.at(v).match);
  std::sort(matches.begin(), matches.end(), std::greater<uint64_t>());
  uint64_t quorum_match = matches[Quorum() - 1];
  uint64_t before = log_.committed();
  // Current-term rule: only an entry of this term is committed by counting.
  if (!log_.MaybeCommit(quorum_match, term_)) return false;
  RAFT_ASSERT(log_.committed() > before && log_.committed() <= quorum_match,
              "leader commit outside (old commit, quorum match]");
  // Reads that waited for the first commit of this term can now proceed.
  if (!pending_read_msgs_.empty()) {
    auto queued = std::move(pending_read_msgs_);
    pending_read_msgs_.clear();
    for (const Message& q : queued) HandleReadIndex(q.from, q.context);
  }
  return true;
}

bool Raft::CommittedInCurrentTerm() const {
  return log_.Term(log_.committed()).value_or(0) == term_;
}

void Raft::HandleAppResp(const Message& m) {
  auto it = prs_.find(m.from);
  if (it == prs_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  if (m.reject) {
    uint64_t next_probe = m.reject_hint;
    if (m.log_term > 0) next_probe = log_.FindConflictByTerm(m.reject_hint, m.log_term);
    if (pr.MaybeDecrTo(m.index, next_probe)) {
      if (pr.state == Progress::State::kReplicate) pr.BecomeProbe();
      SendAppendPipelined(m.from);
    }
    return;
  }
  bool was_paused = pr.IsPaused();
  if (!pr.MaybeUpdate(m.index)) {
    if (was_paused && !pr.IsPaused()) SendAppendPipelined(m.from);
    return;
  }
  switch (pr.state) {
    case Progress::State::kProbe:
      pr.BecomeReplicate();
      break;
    case Progress::State::kSnapshot:
      if (pr.match >= pr.pending_snapshot) pr.BecomeReplicate();
      break;
    case Progress::State::kReplicate:
      pr.inflights.FreeLE(m.index);
      break;
  }
  if (MaybeCommit()) {
    BroadcastAppend();  // tell everyone the new commit index
  } else {
    // Pipelining: keep the follower's window full.
    while (MaybeSendAppend(m.from, false)) {
    }
  }
  if (m.from == lead_transferee_ && pr.match == log_.LastIndex()) {
    Message t;
    t.type = MessageType::kTimeoutNow;
    t.to = m.from;
    Send(std::move(t));
  }
}

void Raft::HandleHeartbeatResp(const Message& m) {
  auto it = prs_.find(m.from);
  if (it == prs_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  pr.probe_sent = false;
  if (pr.state == Progress::State::kReplicate && pr.inflights.Full()) {
    pr.inflights.FreeFirstOne();  // an append may have been lost: make room
  }
  if (pr.match < log_.LastIndex()) SendAppendPipelined(m.from);

  if (m.context.empty() || reads_.empty()) return;
  // Acknowledge the read with this context and, implicitly, every earlier one.
  auto rit = std::find_if(reads_.begin(), reads_.end(),
                          [&](const PendingRead& r) { return r.ack_context == m.context; });
  if (rit == reads_.end()) return;
  rit->acks.insert(m.from);
  if (static_cast<int>(rit->acks.size()) < Quorum()) return;
  // A quorum still followed us after this read was registered: every read up to
  // and including it is linearizable at its recorded index.
  size_t n = static_cast<size_t>(rit - reads_.begin()) + 1;
  for (size_t k = 0; k < n; ++k) {
    ReleaseRead(reads_.front());
    reads_.pop_front();
  }
}

Status Raft::HandleReadIndex(NodeId from, std::string context) {
  if (!CommittedInCurrentTerm()) {
    // Our commit index may be behind the previous leader's until we commit an
    // entry of our own term; wait for it.
    Message q;
    q.from = from;
    q.context = std::move(context);
    pending_read_msgs_.push_back(std::move(q));
    return Status::OK();
  }
  std::string ack_context = U(term_);
  ack_context.append(".").append(U(++read_seq_));  // unique per leader term
  PendingRead r{log_.committed(), std::move(context), from, std::move(ack_context), {id_}};
  if (static_cast<int>(r.acks.size()) >= Quorum()) {
    ReleaseRead(r);
    return Status::OK();
  }
  std::string ctx = r.ack_context;
  reads_.push_back(std::move(r));
  for (NodeId v : voters_) {
    if (v != id_) SendHeartbeat(v, ctx);
  }
  return Status::OK();
}

void Raft::ReleaseRead(const PendingRead& r) {
  if (r.from == id_) {
    read_states_.push_back(ReadState{r.index, r.context});
    return;
  }
  Message m;
  m.type = MessageType::kReadIndexResp;
  m.to = r.from;
  m.index = r.index;
  m.context = r.context;
  Send(std::move(m));
}

Status Raft::HandleTransfer(NodeId target) {
  if (!IsVoter(target)) {
    return Status::InvalidArgument("raft: transfer target n" + U(target) + " is not a voter");
  }
  if (target == id_) {
    AbortTransfer();
    return Status::OK();
  }
  if (lead_transferee_ == target) return Status::OK();
  lead_transferee_ = target;
  election_elapsed_ = 0;
  if (prs_.at(target).match == log_.LastIndex()) {
    Message t;
    t.type = MessageType::kTimeoutNow;
    t.to = target;
    Send(std::move(t));
  } else {
    SendAppendPipelined(target);
  }
  return Status::OK();
}

}  // namespace traceledger::raft

#include "consensus/raft.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "consensus/assert.h"

namespace traceledger::raft {

namespace {

const char kTransferContext[] = "transfer";

MessageType VoteRespType(MessageType t) {
  return t == MessageType::kPreVote ? MessageType::kPreVoteResp : MessageType::kVoteResp;
}

std::string U(uint64_t v) { return std::to_string(v); }

}  // namespace

void AssertFailed(const char* file, int line, const char* cond, const std::string& message) {
  std::fprintf(stderr, "RAFT_ASSERT failed at %s:%d: %s: %s\n", file, line, cond, message.c_str());
  std::fflush(stderr);
  std::abort();
}

Result<std::unique_ptr<Raft>> Raft::New(const Config& config, RestartState state) {
  if (config.id == kNone) return Status::InvalidArgument("raft: id must not be 0");
  if (config.rand == nullptr) return Status::InvalidArgument("raft: a Rand is required");
  if (config.election_tick <= config.heartbeat_tick || config.heartbeat_tick <= 0) {
    return Status::InvalidArgument("raft: election_tick must exceed heartbeat_tick > 0");
  }
  if (config.max_inflight_msgs == 0) {
    return Status::InvalidArgument("raft: max_inflight_msgs must be positive");
  }
  std::vector<NodeId> voters = config.voters;
  if (state.snapshot && !state.snapshot->empty() && !state.snapshot->meta.voters.empty()) {
    voters = state.snapshot->meta.voters;
  }
  if (std::find(voters.begin(), voters.end(), config.id) == voters.end()) {
    return Status::InvalidArgument("raft: id is not among the voters");
  }
  for (NodeId v : voters) {
    if (v == kNone) return Status::InvalidArgument("raft: voter id 0");
  }
  uint64_t snap_index = state.snapshot ? state.snapshot->meta.index : 0;
  uint64_t prev_term = state.snapshot ? state.snapshot->meta.term : 0;
  for (size_t k = 0; k < state.entries.size(); ++k) {
    if (state.entries[k].index != snap_index + 1 + k) {
      return Status::Corruption("raft: recovered entries do not follow the snapshot contiguously");
    }
    if (state.entries[k].term < prev_term) {
      // For instance entries left behind when a snapshot was installed: the
      // caller must drop every stored entry when persisting Ready::snapshot.
      return Status::Corruption("raft: recovered entry " + U(state.entries[k].index) +
                                " has a term lower than its predecessor's");
    }
    prev_term = state.entries[k].term;
  }
  uint64_t last = snap_index + state.entries.size();
  if (state.hard_state.commit > last) {
    return Status::Corruption("raft: recovered commit " + U(state.hard_state.commit) +
                              " beyond recovered log end " + U(last));
  }
  if (config.applied > std::max(state.hard_state.commit, snap_index)) {
    return Status::InvalidArgument("raft: applied beyond the recovered commit index");
  }
  return std::unique_ptr<Raft>(new Raft(config, std::move(state)));
}

Raft::Raft(const Config& config, RestartState state)
    : id_(config.id), voters_(config.voters), cfg_(config) {
  uint64_t snap_index = 0, snap_term = 0;
  if (state.snapshot && !state.snapshot->empty()) {
    snapshot_ = state.snapshot;
    snap_index = snapshot_->meta.index;
    snap_term = snapshot_->meta.term;
    if (!snapshot_->meta.voters.empty()) voters_ = snapshot_->meta.voters;
  }
  std::sort(voters_.begin(), voters_.end());
  voters_.erase(std::unique(voters_.begin(), voters_.end()), voters_.end());
  log_.Restore(snap_index, snap_term, std::move(state.entries), state.hard_state.commit,
               config.applied);
  term_ = state.hard_state.term;
  vote_ = state.hard_state.vote;
  prev_hs_ = hard_state();
  BecomeFollower(term_, kNone);
  prev_lead_ = lead_;
  prev_state_ = state_;
}

bool Raft::IsVoter(NodeId id) const {
  return std::binary_search(voters_.begin(), voters_.end(), id);
}

const Progress* Raft::progress(NodeId peer) const {
  if (state_ != StateType::kLeader) return nullptr;
  auto it = prs_.find(peer);
  return it == prs_.end() ? nullptr : &it->second;
}

RaftStatus Raft::GetStatus() const {
  RaftStatus s;
  s.id = id_;
  s.lead = lead_;
  s.state = state_;
  s.hard_state = hard_state();
  s.applied = log_.applied();
  s.last_index = log_.LastIndex();
  s.snapshot_index = log_.SnapIndex();
  s.lead_transferee = lead_transferee_;
  if (state_ == StateType::kLeader) {
    for (const auto& [id, pr] : prs_) {
      s.peers.push_back(RaftStatus::Peer{id, pr.match, pr.next, pr.StateName(), pr.recent_active,
                                         pr.inflights.count()});
    }
  }
  return s;
}

std::string Raft::Describe() const {
  return "n" + U(id_) + " " + StateTypeName(state_) + " t" + U(term_) + " lead " + U(lead_) +
         " last " + U(log_.LastIndex()) + "/t" + U(log_.LastTerm()) + " commit " +
         U(log_.committed()) + " applied " + U(log_.applied()) + " snap " + U(log_.SnapIndex());
}

void Raft::Send(Message m) {
  m.from = id_;
  // Votes carry their own term; forwarded requests carry none.
  bool keeps_term = m.type == MessageType::kVote || m.type == MessageType::kPreVote ||
                    m.type == MessageType::kVoteResp || m.type == MessageType::kPreVoteResp ||
                    m.type == MessageType::kProp || m.type == MessageType::kReadIndex ||
                    m.type == MessageType::kTransferLeader;
  if (!keeps_term) m.term = term_;
  msgs_.push_back(std::move(m));
}

// ---------------------------------------------------------------- roles ----

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      cfg_.election_tick + static_cast<int>(cfg_.rand->Uniform(cfg_.election_tick));
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    RAFT_ASSERT(term > term_, "term goes backwards");
    term_ = term;
    vote_ = kNone;
  }
  lead_ = kNone;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortTransfer();
  votes_.clear();
  prs_.clear();
  reads_.clear();
  pending_read_msgs_.clear();
  uncommitted_size_ = 0;
}

void Raft::BecomeFollower(uint64_t term, NodeId lead) {
  Reset(term);
  lead_ = lead;
  state_ = StateType::kFollower;
}

void Raft::BecomePreCandidate() {
  RAFT_ASSERT(state_ != StateType::kLeader, "leader cannot become pre-candidate");
  // Neither the term nor the vote changes: a failed pre-vote disrupts nobody.
  votes_.clear();
  prs_.clear();
  lead_ = kNone;
  state_ = StateType::kPreCandidate;
}

void Raft::BecomeCandidate() {
  RAFT_ASSERT(state_ != StateType::kLeader, "leader cannot become candidate");
  Reset(term_ + 1);
  vote_ = id_;
  state_ = StateType::kCandidate;
}

void Raft::BecomeLeader() {
  RAFT_ASSERT(state_ == StateType::kCandidate, "only a candidate becomes leader");
  RAFT_ASSERT(vote_ == id_, "leader must have voted for itself");
  Reset(term_);
  lead_ = id_;
  state_ = StateType::kLeader;
  for (NodeId v : voters_) {
    auto [it, ok] = prs_.emplace(
        v, Progress(log_.LastIndex() + 1, cfg_.max_inflight_msgs, cfg_.max_inflight_bytes));
    if (v == id_) {
      it->second.match = log_.LastIndex();
      it->second.recent_active = true;
      it->second.BecomeReplicate();
    }
  }
  // The empty entry lets the leader commit entries of earlier terms (§5.4.2).
  Entry e;
  e.type = EntryType::kEmpty;
  AppendProposal({e});
  BroadcastAppend();
}

void Raft::DoCampaign(CampaignType t) {
  if (!IsVoter(id_) || state_ == StateType::kLeader) return;
  MessageType type;
  uint64_t term;
  if (t == CampaignType::kPreElection) {
    BecomePreCandidate();
    type = MessageType::kPreVote;
    term = term_ + 1;  // the term it would campaign for; ours is unchanged
  } else {
    BecomeCandidate();
    type = MessageType::kVote;
    term = term_;
  }
  int result = Poll(id_, true);
  if (result > 0) {
    if (t == CampaignType::kPreElection) {
      DoCampaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (NodeId v : voters_) {
    if (v == id_) continue;
    Message m;
    m.type = type;
    m.to = v;
    m.term = term;
    m.index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    if (t == CampaignType::kTransfer) m.context = kTransferContext;
    Send(std::move(m));
  }
}

int Raft::Poll(NodeId from, bool granted) {
  if (!IsVoter(from)) return 0;
  votes_.emplace(from, granted);  // the first answer counts
  int yes = 0, no = 0;
  for (const auto& [id, g] : votes_) (g ? yes : no)++;
  if (yes >= Quorum()) return 1;
  if (static_cast<int>(voters_.size()) - no < Quorum()) return -1;
  return 0;
}

// ---------------------------------------------------------------- ticks ----

void Raft::Tick() {
  RAFT_ASSERT(!ready_outstanding_, "Tick between GetReady and Advance");
  if (state_ == StateType::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (IsVoter(id_) && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    DoCampaign(cfg_.pre_vote ? CampaignType::kPreElection : CampaignType::kElection);
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_tick) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      if (!QuorumActive()) {
        // Cannot reach a quorum: step down so that clients look elsewhere and a
        // stale leader stops serving reads.
        BecomeFollower(term_, kNone);
        return;
      }
      for (auto& [id, pr] : prs_) pr.recent_active = (id == id_);
    }
    AbortTransfer();  // a transfer must finish within one election timeout
  }
  for (auto& [id, pr] : prs_) {
    if (pr.state == Progress::State::kSnapshot && ++pr.snapshot_elapsed >= cfg_.election_tick) {
      pr.BecomeProbe();  // the snapshot was probably lost: probe again
    }
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

bool Raft::QuorumActive() const {
  int active = 0;
  for (const auto& [id, pr] : prs_) {
    if (id == id_ || pr.recent_active) ++active;
  }
  return active >= Quorum();
}

// ----------------------------------------------------------------- step ----

Status Raft::Step(const Message& m) {
  RAFT_ASSERT(!ready_outstanding_, "Step between GetReady and Advance");
  if (m.from == kNone || m.from == id_ || m.to != id_) {
    return Status::InvalidArgument("raft: message " + U(m.from) + "->" + U(m.to) +
                                   " stepped into n" + U(id_));
  }
  if (!IsVoter(m.from)) {
    return Status::InvalidArgument("raft: message from n" + U(m.from) + ", not a member");
  }
  if (m.type == MessageType::kNone || m.type > MessageType::kTransferLeader) {
    return Status::InvalidArgument("raft: unknown message type");
  }
  bool termless = m.type == MessageType::kProp || m.type == MessageType::kReadIndex ||
                  m.type == MessageType::kTransferLeader;
  if (termless) {
    // Forwarded requests: handled by the leader only; never forwarded twice.
    if (state_ != StateType::kLeader) {
      return Status::Error("NOT_LEADER", "raft: forwarded request reached a non-leader");
    }
    return StepLeader(m);
  }
  if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      bool force = m.context == kTransferContext;
      bool in_lease = cfg_.check_quorum && lead_ != kNone && election_elapsed_ < cfg_.election_tick;
      if (!force && in_lease) return Status::OK();  // a live leader exists: ignore
    }
    if (m.type == MessageType::kPreVote) {
      // Never change term on a pre-vote request.
    } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
      // The future term we asked for; the term changes when we win.
    } else if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnap) {
      BecomeFollower(m.term, m.from);
    } else {
      BecomeFollower(m.term, kNone);
    }
  } else if (m.term < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kApp)) {
      // A stale leader (for instance one isolated and rejoining) would otherwise
      // never learn of our term; with pre-vote our higher term could otherwise
      // keep the cluster leaderless. Tell it, so that it steps down.
      Message r;
      r.type = MessageType::kAppResp;
      r.to = m.from;
      Send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResp;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      Send(std::move(r));
    }
    return Status::OK();  // ignore stale messages
  }

  if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
    HandleVoteRequest(m);
    return Status::OK();
  }
  switch (state_) {
    case StateType::kLeader:
      return StepLeader(m);
    case StateType::kCandidate:
    case StateType::kPreCandidate:
      return StepCandidate(m);
    case StateType::kFollower:
      return StepFollower(m);
  }
  return Status::OK();
}

void Raft::HandleVoteRequest(const Message& m) {
  bool can_vote = vote_ == m.from || (vote_ == kNone && lead_ == kNone) ||
                  (m.type == MessageType::kPreVote && m.term > term_);
  Message r;
  r.type = VoteRespType(m.type);
  r.to = m.from;
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    r.term = m.term;
    Send(std::move(r));
    if (m.type == MessageType::kVote) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    r.term = term_;
    r.reject = true;
    Send(std::move(r));
  }
}

Status Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnap:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      break;
    case MessageType::kTimeoutNow:
      DoCampaign(CampaignType::kTransfer);
      break;
    case MessageType::kReadIndexResp:
      read_states_.push_back(ReadState{m.index, m.context});
      break;
    default:
      break;  // stale responses
  }
  return Status::OK();
}

Status Raft::StepCandidate(const Message& m) {
  MessageType my_resp =
      state_ == StateType::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kApp:
    case MessageType::kHeartbeat:
    case MessageType::kSnap:
      // A leader of this term exists: we lost.
      BecomeFollower(m.term, m.from);
      return StepFollower(m);
    default:
      break;
  }
  if (m.type != my_resp) return Status::OK();
  int result = Poll(m.from, !m.reject);
  if (result > 0) {
    if (state_ == StateType::kPreCandidate) {
      DoCampaign(CampaignType::kElection);
    } else {
      BecomeLeader();
    }
  } else if (result < 0) {
    BecomeFollower(term_, kNone);
  }
  return Status::OK();
}

Status Raft::StepLeader(const Message& m) {
  switch (m.type) {
    case MessageType::kProp: {
      Status st = AppendProposal(m.entries);
      if (st.ok()) BroadcastAppend();
      return st;
    }
    case MessageType::kReadIndex:
      return HandleReadIndex(m.from, m.context);
    case MessageType::kTransferLeader:
      return HandleTransfer(m.index);
    case MessageType::kApp:
    case MessageType::kHeartbeat:
    case MessageType::kSnap:
      RAFT_ASSERT(false, "election safety: n" + U(m.from) + " also leads term " + U(m.term) +
                             " led by n" + U(id_));
      break;
    case MessageType::kAppResp:
      HandleAppResp(m);
      break;
    case MessageType::kHeartbeatResp:
      HandleHeartbeatResp(m);
      break;
    default:
      break;
  }
  return Status::OK();
}

// ------------------------------------------------------------- follower ----

void Raft::HandleAppend(const Message& m) {
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  if (m.index < log_.committed()) {
    r.index = log_.committed();
    Send(std::move(r));
    return;
  }
  if (auto last = log_.MaybeAppend(m.index, m.log_term, m.commit, m.entries)) {
    r.index = *last;
    Send(std::move(r));
    return;
  }
  // Reject with a hint: the largest index that might match, so the leader can
  // skip a whole term of conflicting entries per round trip.
  uint64_t hint = std::min(m.index, log_.LastIndex());
  hint = log_.FindConflictByTerm(hint, m.log_term);
  r.reject = true;
  r.index = m.index;
  r.reject_hint = hint;
  r.log_term = log_.Term(hint).value_or(0);
  Send(std::move(r));
}

void Raft::HandleHeartbeat(const Message& m) {
  // The leader sends min(its commit, our match), so this stays within the
  // prefix we are known to share.
  log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  Message r;
  r.type = MessageType::kHeartbeatResp;
  r.to = m.from;
  r.context = m.context;
  Send(std::move(r));
}

void Raft::HandleSnapshot(const Message& m) {
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  const auto& s = m.snapshot;
  if (!s || s->empty()) return;
  if (s->meta.index <= log_.committed()) {
    r.index = log_.committed();  // already have it
  } else if (log_.MatchTerm(s->meta.index, s->meta.term)) {
    // Our log already holds the snapshot's last entry: fast-forward commit.
    log_.CommitTo(s->meta.index);
    r.index = log_.committed();
  } else {
    log_.RestoreSnapshot(s->meta.index, s->meta.term);
    snapshot_ = s;
    pending_snapshot_ = s;
    r.index = log_.LastIndex();
  }
  Send(std::move(r));
}

// ------------------------------------------------------- caller requests ----

Status Raft::Propose(std::string data) {
  RAFT_ASSERT(!ready_outstanding_, "Propose between GetReady and Advance");
  Entry e;
  e.data = std::move(data);
  if (state_ == StateType::kLeader) {
    TL_RETURN_IF_ERROR(AppendProposal({std::move(e)}));
    BroadcastAppend();
    return Status::OK();
  }
  if (lead_ == kNone) return Status::Error("NO_LEADER", "raft: no known leader; retry later");
  Message m;
  m.type = MessageType::kProp;
  m.to = lead_;
  m.entries.push_back(std::move(e));
  Send(std::move(m));
  return Status::OK();
}

Status Raft::ReadIndex(std::string context) {
  RAFT_ASSERT(!ready_outstanding_, "ReadIndex between GetReady and Advance");
  if (state_ == StateType::kLeader) return HandleReadIndex(id_, std::move(context));
  if (lead_ == kNone) return Status::Error("NO_LEADER", "raft: no known leader; retry later");
  Message m;
  m.type = MessageType::kReadIndex;
  m.to = lead_;
  m.context = std::move(context);
  Send(std::move(m));
  return Status::OK();
}

Status Raft::TransferLeadership(NodeId target) {
  RAFT_ASSERT(!ready_outstanding_, "TransferLeadership between GetReady and Advance");
  if (state_ == StateType::kLeader) return HandleTransfer(target);
  if (lead_ == kNone) return Status::Error("NO_LEADER", "raft: no known leader");
  Message m;
  m.type = MessageType::kTransferLeader;
  m.to = lead_;
  m.index = target;  // the transferee travels in `index`
  Send(std::move(m));
  return Status::OK();
}

Status Raft::Campaign() {
  RAFT_ASSERT(!ready_outstanding_, "Campaign between GetReady and Advance");
  if (state_ == StateType::kLeader) return Status::OK();
  DoCampaign(cfg_.pre_vote ? CampaignType::kPreElection : CampaignType::kElection);
  return Status::OK();
}

Status Raft::Compact(uint64_t index, std::string snapshot_data) {
  RAFT_ASSERT(!ready_outstanding_, "Compact between GetReady and Advance");
  if (index <= log_.SnapIndex()) return Status::OK();
  if (index > log_.applied()) {
    return Status::InvalidArgument("raft: cannot compact at " + U(index) + " beyond applied " +
                                   U(log_.applied()));
  }
  auto s = std::make_shared<Snapshot>();
  s->meta.index = index;
  s->meta.term = *log_.Term(index);
  s->meta.voters = voters_;
  s->data = std::move(snapshot_data);
  log_.Compact(index);
  snapshot_ = std::move(s);
  return Status::OK();
}

void Raft::ReportSnapshot(NodeId to, bool ok) {
  if (state_ != StateType::kLeader) return;
  auto it = prs_.find(to);
  if (it == prs_.end() || it->second.state != Progress::State::kSnapshot) return;
  // On success wait for the follower's append response; on failure probe again.
  if (!ok) it->second.BecomeProbe();
}

// ---------------------------------------------------------------- ready ----

bool Raft::HasReady() const {
  return lead_ != prev_lead_ || state_ != prev_state_ || hard_state() != prev_hs_ ||
         log_.HasUnstable() || pending_snapshot_ || log_.HasNextCommitted() || !msgs_.empty() ||
         !read_states_.empty();
}

Ready Raft::GetReady() {
  RAFT_ASSERT(!ready_outstanding_, "GetReady twice without Advance");
  Ready rd;
  rd.lead = lead_;
  rd.state = state_;
  prev_lead_ = lead_;
  prev_state_ = state_;
  HardState hs = hard_state();
  if (hs != prev_hs_) rd.hard_state = hs;
  ready_hs_ = hs;
  rd.entries = log_.UnstableEntries();
  rd.snapshot = pending_snapshot_;
  ready_had_snapshot_ = pending_snapshot_ != nullptr;
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.committed_entries = log_.NextCommitted(cfg_.max_committed_bytes_per_ready);
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  ready_stable_to_ = rd.entries.empty() ? 0 : rd.entries.back().index;
  ready_applied_to_ = rd.committed_entries.empty() ? 0 : rd.committed_entries.back().index;
  ready_applied_bytes_ = 0;
  for (const Entry& e : rd.committed_entries) ready_applied_bytes_ += e.PayloadSize();
  ready_outstanding_ = true;
  return rd;
}

void Raft::Advance() {
  RAFT_ASSERT(ready_outstanding_, "Advance without GetReady");
  ready_outstanding_ = false;
  log_.StableTo(ready_stable_to_);
  log_.AppliedTo(ready_applied_to_);
  if (ready_had_snapshot_) pending_snapshot_.reset();
  prev_hs_ = ready_hs_;
  if (state_ == StateType::kLeader) {
    uncommitted_size_ -= std::min(uncommitted_size_, ready_applied_bytes_);
  }
}

}  // namespace traceledger::raft

// Raft: consensus as a pure, deterministic state machine (etcd style).
//
// The caller owns everything that touches the world. It feeds the instance with
//   Step(message)   a message received from a peer,
//   Tick()          one logical clock tick,
//   Propose(bytes)  a new entry (application-opaque bytes),
//   ReadIndex(ctx), TransferLeadership(id), Compact(index, snapshot)
// and repeatedly drains its output:
//   if (raft.HasReady()) { Ready rd = raft.GetReady(); ...handle...; raft.Advance(); }
// handling a Ready strictly in this order (docs/consensus.md):
//   1. durably persist rd.snapshot, rd.hard_state, rd.entries (sync);
//   2. send rd.messages;
//   3. install rd.snapshot, then apply rd.committed_entries in order;
//   4. serve rd.read_states once the applied index reaches their index;
//   5. Advance().
// No call other than the accessors may be made between GetReady and Advance.
//
// There are no sockets, files, clocks, threads or globals in here; randomness
// comes from the injected Rand. Given the same inputs and Rand, an instance
// produces the same outputs.
//
// Invariants asserted in code (RAFT_ASSERT, active in Release): a leader never
// sees another leader of its term; an entry at a committed index is never
// replaced; entries present with equal index and term carry equal data; the
// commit index never decreases, never passes what a quorum holds (leader) or the
// prefix an append proved matched (follower); applied <= committed.
//
// Membership is static (Config::voters); there are no configuration changes.
//
// Thread-safety: none. One thread drives an instance.
#ifndef TRACELEDGER_CONSENSUS_RAFT_H_
#define TRACELEDGER_CONSENSUS_RAFT_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "consensus/log.h"
#include "consensus/progress.h"
#include "consensus/rand.h"
#include "consensus/types.h"
#include "ledger/status.h"

namespace traceledger::raft {

struct Config {
  NodeId id = kNone;
  // Every voter, including `id`. Fixed for the life of the cluster.
  std::vector<NodeId> voters;
  // A follower starts an election after a random timeout in
  // [election_tick, 2 * election_tick) ticks without hearing from a leader.
  int election_tick = 10;
  // A leader sends heartbeats every heartbeat_tick ticks.
  int heartbeat_tick = 1;
  // Pre-vote: a node asks whether it could win before disrupting the term.
  bool pre_vote = true;
  // Check-quorum: a leader that has not heard from a quorum within an election
  // timeout steps down; a node that heard from a leader within the election
  // timeout ignores vote requests (the leader lease).
  bool check_quorum = true;
  // Batching: payload bytes per append message (at least one entry is sent).
  uint64_t max_size_per_msg = 1 << 20;
  // Flow control per follower: append messages and payload bytes in flight.
  size_t max_inflight_msgs = 64;
  uint64_t max_inflight_bytes = 16 << 20;
  // Bound on the payload bytes a leader holds uncommitted; beyond it proposals
  // fail with UNCOMMITTED_LOG_FULL. (A single proposal is always accepted when
  // nothing is uncommitted.)
  uint64_t max_uncommitted_bytes = 64 << 20;
  // Payload bytes of committed entries handed out per Ready (at least one
  // entry); the rest follow in later Readies. 0: no limit.
  uint64_t max_committed_bytes_per_ready = 64 << 20;
  // Restart: the last index the application has applied (>= snapshot index).
  uint64_t applied = 0;
  // Required; not owned; must outlive the instance.
  Rand* rand = nullptr;
};

// What the caller recovered from its durable storage. Empty for a new node.
struct RestartState {
  HardState hard_state;
  std::shared_ptr<const Snapshot> snapshot;  // latest durable snapshot, or null
  std::vector<Entry> entries;                // durable entries after the snapshot
};

// A point-in-time summary for operators and metrics (the cockpit).
struct RaftStatus {
  NodeId id = kNone;
  NodeId lead = kNone;
  StateType state = StateType::kFollower;
  HardState hard_state;
  uint64_t applied = 0;
  uint64_t last_index = 0;
  uint64_t snapshot_index = 0;
  NodeId lead_transferee = kNone;
  struct Peer {
    NodeId id;
    uint64_t match;
    uint64_t next;
    const char* state;  // "probe", "replicate", "snapshot"
    bool recent_active;
    size_t inflight_msgs;
  };
  std::vector<Peer> peers;  // leader only, ordered by id
};

class Raft {
 public:
  // Validates the configuration and the recovered state.
  static Result<std::unique_ptr<Raft>> New(const Config& config, RestartState state);

  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // ---- Inputs ----
  // A message from a peer. Returns an error only for a malformed message or a
  // proposal that was dropped.
  Status Step(const Message& m);
  void Tick();
  // Appends `data` through the leader. Errors: NO_LEADER (no known leader; try
  // again later), UNCOMMITTED_LOG_FULL, LEADER_TRANSFER_IN_PROGRESS. OK means
  // appended (leader) or forwarded (follower); neither promises commitment.
  Status Propose(std::string data);
  // Requests a linearizable read. A ReadState with this context appears in a
  // later Ready once a quorum confirmed this leadership; the read may be served
  // when the applied index reaches ReadState::index. NO_LEADER when no leader
  // is known. Lost requests are simply never answered: retry with a timeout.
  Status ReadIndex(std::string context);
  // Asks the leader to hand leadership to `target` (sends it TimeoutNow once its
  // log is caught up; aborted after an election timeout).
  Status TransferLeadership(NodeId target);
  // Starts an election now (tests, operators).
  Status Campaign();
  // The application has durably stored a snapshot of its state at `index`
  // (<= applied). Entries up to `index` are discarded; followers further behind
  // receive this snapshot.
  Status Compact(uint64_t index, std::string snapshot_data);
  // The transport reports the fate of a snapshot message sent to `to`.
  void ReportSnapshot(NodeId to, bool ok);

  // ---- Outputs ----
  bool HasReady() const;
  Ready GetReady();
  void Advance();

  // ---- Accessors ----
  NodeId id() const { return id_; }
  NodeId lead() const { return lead_; }
  StateType state() const { return state_; }
  uint64_t term() const { return term_; }
  NodeId vote() const { return vote_; }
  HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
  const RaftLog& log() const { return log_; }
  const std::vector<NodeId>& voters() const { return voters_; }
  // Leader only: the progress of `peer`, or null.
  const Progress* progress(NodeId peer) const;
  NodeId lead_transferee() const { return lead_transferee_; }
  uint64_t uncommitted_bytes() const { return uncommitted_size_; }
  size_t pending_reads() const { return reads_.size() + pending_read_msgs_.size(); }
  RaftStatus GetStatus() const;
  // A short human description: "n1 leader t3 last 7 commit 6 applied 6".
  std::string Describe() const;

 private:
  enum class CampaignType { kPreElection, kElection, kTransfer };
  struct PendingRead {
    uint64_t index;
    std::string context;
    NodeId from;
    std::string ack_context;  // heartbeat context for this read
    std::set<NodeId> acks;
  };

  Raft(const Config& config, RestartState state);

  int Quorum() const { return static_cast<int>(voters_.size() / 2 + 1); }
  bool IsVoter(NodeId id) const;
  void Send(Message m);

  void Reset(uint64_t term);
  void ResetRandomizedElectionTimeout();
  void BecomeFollower(uint64_t term, NodeId lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void DoCampaign(CampaignType t);
  // Records a vote; returns +1 won, -1 lost, 0 pending.
  int Poll(NodeId from, bool granted);

  void TickElection();
  void TickHeartbeat();

  Status StepLeader(const Message& m);
  Status StepCandidate(const Message& m);
  Status StepFollower(const Message& m);
  void HandleVoteRequest(const Message& m);
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  void HandleAppResp(const Message& m);
  void HandleHeartbeatResp(const Message& m);
  Status HandleReadIndex(NodeId from, std::string context);
  void ReleaseRead(const PendingRead& r);
  Status HandleTransfer(NodeId target);
  void AbortTransfer() { lead_transferee_ = kNone; }

  Status AppendProposal(std::vector<Entry> ents);
  bool MaybeSendAppend(NodeId to, bool send_if_empty);
  void SendAppendPipelined(NodeId to);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void SendHeartbeat(NodeId to, const std::string& context);
  bool MaybeCommit();
  bool CommittedInCurrentTerm() const;
  bool QuorumActive() const;

  // Configuration.
  const NodeId id_;
  std::vector<NodeId> voters_;
  const Config cfg_;

  // Persistent state (with log_.committed()).
  uint64_t term_ = 0;
  NodeId vote_ = kNone;
  RaftLog log_;

  // Volatile state.
  StateType state_ = StateType::kFollower;
  NodeId lead_ = kNone;
  std::map<NodeId, Progress> prs_;  // leader; ordered for determinism
  std::map<NodeId, bool> votes_;    // candidates
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  NodeId lead_transferee_ = kNone;
  uint64_t uncommitted_size_ = 0;
  std::deque<PendingRead> reads_;
  std::vector<Message> pending_read_msgs_;  // before the first commit of the term
  uint64_t read_seq_ = 0;

  // Snapshots: the latest one (sent to lagging followers) and one received but
  // not yet handed to the caller.
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<const Snapshot> pending_snapshot_;

  // Output.
  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
  HardState prev_hs_;
  NodeId prev_lead_ = kNone;
  StateType prev_state_ = StateType::kFollower;
  bool ready_outstanding_ = false;
  uint64_t ready_stable_to_ = 0;
  uint64_t ready_applied_to_ = 0;
  uint64_t ready_applied_bytes_ = 0;
  HardState ready_hs_;
  bool ready_had_snapshot_ = false;
};

}  // namespace traceledger::raft

#endif  // TRACELEDGER_CONSENSUS_RAFT_H_

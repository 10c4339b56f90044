// Plain value types of the consensus layer: log entries, hard state, snapshots,
// messages and the Ready batch handed to the caller. Their wire encoding is
// proto/raft.proto (see consensus/codec.h); these structs keep protobuf headers
// out of everything that merely drives a Raft instance.
//
// Thread-safety: plain values.
#ifndef TRACELEDGER_CONSENSUS_TYPES_H_
#define TRACELEDGER_CONSENSUS_TYPES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace traceledger::raft {

using NodeId = uint64_t;
constexpr NodeId kNone = 0;  // "no node": no vote, no known leader

enum class EntryType : uint8_t {
  kNormal = 0,
  kEmpty = 1,  // appended by a new leader so that it can commit older entries
};

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;  // opaque application bytes

  // Bytes counted by flow control and the uncommitted-log bound.
  uint64_t PayloadSize() const { return data.size(); }
  bool operator==(const Entry&) const = default;
};

// State that must be durable before any message of the same Ready is sent.
struct HardState {
  uint64_t term = 0;
  NodeId vote = kNone;
  uint64_t commit = 0;
  bool operator==(const HardState&) const = default;
};

struct SnapshotMeta {
  uint64_t index = 0;  // last log index the snapshot covers
  uint64_t term = 0;   // term of that entry
  std::vector<NodeId> voters;
  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;  // application-opaque
  bool empty() const { return meta.index == 0; }
};

enum class MessageType : uint8_t {
  kNone = 0,
  kApp = 1,
  kAppResp = 2,
  kVote = 3,
  kVoteResp = 4,
  kPreVote = 5,
  kPreVoteResp = 6,
  kHeartbeat = 7,
  kHeartbeatResp = 8,
  kSnap = 9,
  kTimeoutNow = 10,
  kReadIndex = 11,
  kReadIndexResp = 12,
  kProp = 13,
  kTransferLeader = 14,
};
const char* MessageTypeName(MessageType t);

struct Message {
  MessageType type = MessageType::kNone;
  NodeId from = kNone;
  NodeId to = kNone;
  uint64_t term = 0;
  uint64_t log_term = 0;  // kApp: term of `index`; votes: last log term; kAppResp reject: hint term
  uint64_t index = 0;     // kApp: index preceding `entries`; votes: last log index
  std::vector<Entry> entries;
  uint64_t commit = 0;
  std::shared_ptr<const Snapshot> snapshot;  // kSnap only
  bool reject = false;
  uint64_t reject_hint = 0;
  std::string context;
};
// One line, for traces: "3->1 App t5 i7/t4 n2 c6".
std::string DescribeMessage(const Message& m);

enum class StateType : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* StateTypeName(StateType s);

// A linearizable read is safe once the local applied index reaches `index`.
struct ReadState {
  uint64_t index = 0;
  std::string context;  // as passed to Raft::ReadIndex
};

// A batch of work for the caller; see Raft::GetReady for the order in which the
// caller must handle the fields (docs/consensus.md, "persistence contract").
struct Ready {
  // Volatile state, for the caller's information (never persisted).
  NodeId lead = kNone;
  StateType state = StateType::kFollower;

  // Persist (sync) when set.
  std::optional<HardState> hard_state;
  // Persist (sync). If non-empty, first delete every persisted entry with index
  // >= entries.front().index, then append these.
  std::vector<Entry> entries;
  // Persist (sync) and install in the state machine when non-null; it replaces
  // the whole log up to snapshot->meta.index.
  std::shared_ptr<const Snapshot> snapshot;
  // Send only after the above are durable.
  std::vector<Message> messages;
  // Apply to the state machine, in order, after the snapshot (if any).
  std::vector<Entry> committed_entries;
  std::vector<ReadState> read_states;

  bool MustSync() const { return hard_state.has_value() || !entries.empty() || snapshot; }
};

}  // namespace traceledger::raft

#endif  // TRACELEDGER_CONSENSUS_TYPES_H_

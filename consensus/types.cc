#include "consensus/types.h"

namespace traceledger::raft {

const char* MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kNone:
      return "None";
    case MessageType::kApp:
      return "App";
    case MessageType::kAppResp:
      return "AppResp";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResp:
      return "VoteResp";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResp:
      return "PreVoteResp";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResp:
      return "HeartbeatResp";
    case MessageType::kSnap:
      return "Snap";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResp:
      return "ReadIndexResp";
    case MessageType::kProp:
      return "Prop";
    case MessageType::kTransferLeader:
      return "TransferLeader";
  }
  return "?";
}

const char* StateTypeName(StateType s) {
  switch (s) {
    case StateType::kFollower:
      return "follower";
    case StateType::kPreCandidate:
      return "pre-candidate";
    case StateType::kCandidate:
      return "candidate";
    case StateType::kLeader:
      return "leader";
  }
  return "?";
}

std::string DescribeMessage(const Message& m) {
  std::string s = std::to_string(m.from) + "->" + std::to_string(m.to) + " " +
                  MessageTypeName(m.type) + " t" + std::to_string(m.term);
  switch (m.type) {
    case MessageType::kApp:
      s += " i" + std::to_string(m.index) + "/t" + std::to_string(m.log_term) + " n" +
           std::to_string(m.entries.size()) + " c" + std::to_string(m.commit);
      break;
    case MessageType::kAppResp:
      s += " i" + std::to_string(m.index);
      if (m.reject)
        s += " reject hint " + std::to_string(m.reject_hint) + "/t" + std::to_string(m.log_term);
      break;
    case MessageType::kVote:
    case MessageType::kPreVote:
      s += " last " + std::to_string(m.index) + "/t" + std::to_string(m.log_term);
      break;
    case MessageType::kVoteResp:
    case MessageType::kPreVoteResp:
      s += m.reject ? " reject" : " grant";
      break;
    case MessageType::kHeartbeat:
      s += " c" + std::to_string(m.commit);
      break;
    case MessageType::kSnap:
      if (m.snapshot) s += " snap " + std::to_string(m.snapshot->meta.index);
      break;
    case MessageType::kReadIndexResp:
      s += " i" + std::to_string(m.index);
      break;
    default:
      break;
  }
  if (!m.context.empty()) s += " ctx " + m.context;
  return s;
}

}  // namespace traceledger::raft

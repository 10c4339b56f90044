#include "consensus/codec.h"

#include "raft.pb.h"

namespace traceledger::raft {

namespace {

void ToProto(const Entry& e, raftpb::Entry* p) {
  p->set_term(e.term);
  p->set_index(e.index);
  p->set_type(e.type == EntryType::kEmpty ? raftpb::ENTRY_EMPTY : raftpb::ENTRY_NORMAL);
  p->set_data(e.data);
}

Entry FromProto(const raftpb::Entry& p) {
  Entry e;
  e.term = p.term();
  e.index = p.index();
  e.type = p.type() == raftpb::ENTRY_EMPTY ? EntryType::kEmpty : EntryType::kNormal;
  e.data = p.data();
  return e;
}

void ToProto(const Snapshot& s, raftpb::Snapshot* p) {
  p->mutable_metadata()->set_index(s.meta.index);
  p->mutable_metadata()->set_term(s.meta.term);
  for (NodeId v : s.meta.voters) p->mutable_metadata()->add_voters(v);
  p->set_data(s.data);
}

Snapshot FromProto(const raftpb::Snapshot& p) {
  Snapshot s;
  s.meta.index = p.metadata().index();
  s.meta.term = p.metadata().term();
  s.meta.voters.assign(p.metadata().voters().begin(), p.metadata().voters().end());
  s.data = p.data();
  return s;
}

// What every message a correct peer sends looks like, whatever the state of
// the receiver: a message that breaks it is dropped here, never stepped (the
// log would take it for a broken invariant and stop the node; found by
// fuzz/peer_frame_fuzz.cc).
Status CheckShape(const Message& m) {
  if (m.type != MessageType::kApp) return Status::OK();
  // An append carries entries index+1, index+2, ... of terms that do not go
  // down, from log_term (the term at index) up to the leader's term.
  if (m.entries.size() > UINT64_MAX - m.index)
    return Status::Corruption("raft: append entries beyond the last index");
  if (m.log_term > m.term)
    return Status::Corruption("raft: append after an entry of a later term than the leader's");
  uint64_t prev_term = m.log_term;
  for (size_t k = 0; k < m.entries.size(); ++k) {
    const Entry& e = m.entries[k];
    if (e.index != m.index + 1 + k)
      return Status::Corruption("raft: append entries are not contiguous from index " +
                                std::to_string(m.index + 1));
    if (e.term < prev_term || e.term > m.term)
      return Status::Corruption("raft: append entry " + std::to_string(e.index) + " has term " +
                                std::to_string(e.term) + " out of order");
    prev_term = e.term;
  }
  return Status::OK();
}

}  // namespace

std::string EncodeMessage(const Message& m) {
  raftpb::Message p;
  p.set_type(static_cast<raftpb::MessageType>(m.type));
  p.set_from(m.from);
  p.set_to(m.to);
  p.set_term(m.term);
  p.set_log_term(m.log_term);
  p.set_index(m.index);
  for (const Entry& e : m.entries) ToProto(e, p.add_entries());
  p.set_commit(m.commit);
  if (m.snapshot) ToProto(*m.snapshot, p.mutable_snapshot());
  p.set_reject(m.reject);
  p.set_reject_hint(m.reject_hint);
  p.set_context(m.context);
  return p.SerializeAsString();
}

Result<Message> DecodeMessage(const std::string& bytes) {
  raftpb::Message p;
  if (!p.ParseFromString(bytes)) return Status::Corruption("raft: undecodable message");
  if (p.type() <= raftpb::MSG_NONE || p.type() > raftpb::MSG_TRANSFER_LEADER) {
    return Status::Corruption("raft: unknown message type " + std::to_string(p.type()));
  }
  Message m;
  m.type = static_cast<MessageType>(p.type());
  m.from = p.from();
  m.to = p.to();
  m.term = p.term();
  m.log_term = p.log_term();
  m.index = p.index();
  for (const auto& e : p.entries()) m.entries.push_back(FromProto(e));
  m.commit = p.commit();
  if (p.has_snapshot()) m.snapshot = std::make_shared<Snapshot>(FromProto(p.snapshot()));
  m.reject = p.reject();
  m.reject_hint = p.reject_hint();
  m.context = p.context();
  TL_RETURN_IF_ERROR(CheckShape(m));
  return m;
}

std::string EncodeEntry(const Entry& e) {
  raftpb::Entry p;
  ToProto(e, &p);
  return p.SerializeAsString();
}

Result<Entry> DecodeEntry(const std::string& bytes) {
  raftpb::Entry p;
  if (!p.ParseFromString(bytes)) return Status::Corruption("raft: undecodable entry");
  return FromProto(p);
}

std::string EncodeHardState(const HardState& hs) {
  raftpb::HardState p;
  p.set_term(hs.term);
  p.set_vote(hs.vote);
  p.set_commit(hs.commit);
  return p.SerializeAsString();
}

Result<HardState> DecodeHardState(const std::string& bytes) {
  raftpb::HardState p;
  if (!p.ParseFromString(bytes)) return Status::Corruption("raft: undecodable hard state");
  return HardState{p.term(), p.vote(), p.commit()};
}

std::string EncodeSnapshot(const Snapshot& s) {
  raftpb::Snapshot p;
  ToProto(s, &p);
  return p.SerializeAsString();
}

Result<Snapshot> DecodeSnapshot(const std::string& bytes) {
  raftpb::Snapshot p;
  if (!p.ParseFromString(bytes)) return Status::Corruption("raft: undecodable snapshot");
  return FromProto(p);
}

}  // namespace traceledger::raft

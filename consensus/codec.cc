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

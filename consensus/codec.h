// Wire encoding of consensus messages and durable records, as defined by
// proto/raft.proto. Only this module includes the generated protobuf headers.
//
// Thread-safety: stateless functions.
#ifndef TRACELEDGER_CONSENSUS_CODEC_H_
#define TRACELEDGER_CONSENSUS_CODEC_H_

#include <string>

#include "consensus/types.h"
#include "ledger/status.h"

namespace traceledger::raft {

std::string EncodeMessage(const Message& m);
Result<Message> DecodeMessage(const std::string& bytes);

std::string EncodeEntry(const Entry& e);
Result<Entry> DecodeEntry(const std::string& bytes);

std::string EncodeHardState(const HardState& hs);
Result<HardState> DecodeHardState(const std::string& bytes);

std::string EncodeSnapshot(const Snapshot& s);
Result<Snapshot> DecodeSnapshot(const std::string& bytes);

}  // namespace traceledger::raft

#endif  // TRACELEDGER_CONSENSUS_CODEC_H_

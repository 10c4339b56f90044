// NodeCore: everything a validator does, without threads, sockets or clocks of
// its own (docs/node.md). The runtime (node/node.h) drives it from one loop
// thread with a real clock and the TCP transport; the deterministic simulation
// (tests/node/node_sim.*, `tracesim --node`) drives several of them with a
// simulated clock and network, and "crashes" one by destroying it and opening
// its data directory again.
//
// Inputs, from one thread at a time (the driver's):
//   OnFrame(from, bytes)  a frame from a peer
//   Tick()                one Raft tick
//   Process()             build blocks, handle Raft output, compact; after inputs
// Thread-safe, from any thread: Submit, WaitForReceipt, ReadIndex, GetReceipt,
// GetStatus, and the read accessors.
#ifndef TRACELEDGER_NODE_NODE_CORE_H_
#define TRACELEDGER_NODE_NODE_CORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/node.h"

namespace traceledger::node {

// Where a NodeCore's outside world comes from.
class CoreEnv {
 public:
  virtual ~CoreEnv() = default;
  // Wall-clock milliseconds since the epoch: block times, mempool ages, waits.
  virtual int64_t NowMillis() = 0;
  // Queues a frame for peer `to` (a Raft id: genesis validator index + 1).
  // False when it cannot be queued (unknown peer, full queue).
  virtual bool Send(uint64_t to, std::string frame) = 0;
  // Whether the link to `peer` is up (for status only).
  virtual bool Connected(uint64_t peer) const { return true; }
  // Seed for Raft's randomised election timeouts.
  virtual uint64_t Seed() = 0;
};

class NodeCore {
 public:
  // Opens (or creates) the stores in options.data_dir and recovers. `env` must
  // outlive the core.
  static Result<std::unique_ptr<NodeCore>> Open(const NodeOptions& options, CoreEnv* env);
  ~NodeCore();
  NodeCore(const NodeCore&) = delete;
  NodeCore& operator=(const NodeCore&) = delete;

  void OnFrame(uint64_t from, const std::string& frame);
  void Tick();
  // False after a fatal storage error: the driver must stop this node.
  bool Process();
  // Fails every pending wait (shutdown).
  void CancelWaits();

  Status Submit(const Envelope& env);
  void WaitForReceipt(const std::string& tx_id, int timeout_ms,
                      std::function<void(Result<TxReceipt>)> done);
  // Node::ReadIndex (node/node.h). `done` runs on the driver's thread (in
  // Tick or Process, or CancelWaits) or, for TOO_MANY_READS, on the caller's.
  // Reads queued here are handed to Raft at the next Process.
  void ReadIndex(int timeout_ms, std::function<void(Status)> done);
  Result<TxReceipt> GetReceipt(const std::string& tx_id) const;
  NodeStatus GetStatus() const;

  const Genesis& genesis() const;
  const BlockStore& blocks() const;
  const StateReader& state() const;
  uint64_t read_generation() const;  // see Node::read_generation
  ReadPoint read_point() const;      // these two: see node/node.h
  bool ChangesBetween(const ReadPoint& from, const ReadPoint& to,
                      const std::function<void(std::string_view key)>& on_key,
                      const std::function<void(uint64_t height)>& on_attested) const;
  int64_t latest_block_time() const;
  uint64_t raft_id() const;
  void Log(const std::string& line) const;

  struct Impl;

 private:
  explicit NodeCore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_NODE_CORE_H_

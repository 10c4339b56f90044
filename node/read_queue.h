// ReadQueue: the linearizable reads (Raft ReadIndex) a node has been asked for
// and not yet answered (docs/node.md, "Consistent reads").
//
// A read goes through three steps: Add (any thread) queues it with a
// deadline; the driver asks Raft for a read index (SendDue, again every
// resend_ms while Raft has not answered, since Raft forgets requests lost with
// a leader); Raft's ReadState gives the index (Confirmed); Complete answers OK
// once the node has applied that index, or NO_LEADER at the deadline.
//
// Batching: one SendDue asks Raft once for every read due then (one context,
// one heartbeat round), however many there are. Any answer to a request made
// after a read began is a valid read index for it.
//
// Contexts are a per-instance nonce followed by a batch number, so a
// ReadState meant for an earlier incarnation of the node (a restart) never
// confirms a read of this one.
//
// Bounded: at most `max` reads wait; Add refuses more with TOO_MANY_READS.
// Thread-safety: Add and Close from any thread; SendDue, Confirmed and
// Complete from the driver's thread. Callbacks run outside the lock.
#ifndef TRACELEDGER_NODE_READ_QUEUE_H_
#define TRACELEDGER_NODE_READ_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "ledger/status.h"

namespace traceledger::node {

class ReadQueue {
 public:
  ReadQueue(size_t max, uint64_t nonce) : max_(max), nonce_(nonce) {}
  ReadQueue(const ReadQueue&) = delete;
  ReadQueue& operator=(const ReadQueue&) = delete;

  // Queues a read answered by `done` by deadline_ms at the latest. On
  // TOO_MANY_READS or STOPPED, `done` is called at once (caller's thread).
  void Add(int64_t deadline_ms, std::function<void(Status)> done);
  // Calls `ask(context)` once for all the reads not yet asked, or asked
  // resend_ms ago or longer without an answer; `ask` returns whether Raft took
  // it (false: no leader known; they are asked again at the next call).
  void SendDue(int64_t now_ms, int64_t resend_ms,
               const std::function<bool(const std::string& context)>& ask);
  // Raft answered `context` with read index `index`: the reads last asked
  // under it are confirmed (the first answer counts).
  void Confirmed(const std::string& context, uint64_t index);
  // Answers OK the confirmed reads whose index <= applied, and NO_LEADER those
  // past their deadline.
  void Complete(uint64_t applied, int64_t now_ms);
  // Answers every waiting read `why` (STOPPED) and refuses new ones.
  void Close(const Status& why);
  size_t size() const;

 private:
  struct Read {
    int64_t deadline_ms;
    std::function<void(Status)> done;
    int64_t asked_ms = -1;  // -1: not handed to Raft yet
    uint64_t batch = 0;     // the context it was last asked under
    bool confirmed = false;
    uint64_t index = 0;
  };
  const size_t max_;
  const uint64_t nonce_;
  mutable std::mutex mu_;
  uint64_t next_seq_ = 1;           // guarded by mu_
  uint64_t next_batch_ = 1;         // guarded by mu_
  std::map<uint64_t, Read> reads_;  // by sequence number; guarded by mu_
  bool closed_ = false;             // guarded by mu_
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_READ_QUEUE_H_

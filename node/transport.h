// Peer transport: TCP between validator nodes (Boost.Asio), carrying opaque
// frames (the node encodes them; see proto/node.proto).
//
// Wire format, per connection (always dialled by the sender; a connection
// carries frames one way):
//   hello:  "TLP1" | u64 sender id (big-endian) | u32 chain tag (big-endian)
//   frames: u32 length (big-endian) | `length` bytes, 1 <= length <= max_frame_bytes
// A hello from an unknown node id or for another chain, a bad magic, or a frame
// over the limit closes that connection and is logged; the node is otherwise
// undisturbed.
//
// Limits: frame size; per-peer send queue in frames and bytes (a full queue
// drops the new frame: Raft and the node retransmit what matters); reconnect
// with exponential backoff between min and max.
//
// Thread-safety: Send and Stats may be called from any thread. The frame
// handler runs on the transport's I/O thread and must not block.
#ifndef TRACELEDGER_NODE_TRANSPORT_H_
#define TRACELEDGER_NODE_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace traceledger::node {

struct PeerAddress {
  uint64_t id = 0;
  std::string host;
  uint16_t port = 0;
};

struct TransportOptions {
  uint64_t self_id = 0;
  uint32_t chain_tag = 0;  // first 4 bytes of the genesis hash: peers of other chains are refused
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;        // 0: pick one (see Transport::port)
  std::vector<PeerAddress> peers;  // every other validator
  size_t max_frame_bytes = 64 << 20;
  size_t max_queue_frames = 8192;
  size_t max_queue_bytes = 256 << 20;
  int reconnect_min_ms = 50;
  int reconnect_max_ms = 2000;
};

struct PeerStats {
  uint64_t id = 0;
  bool connected = false;  // our outbound connection is up
  size_t queued_frames = 0;
  uint64_t sent_frames = 0;
  uint64_t dropped_frames = 0;  // queue full
  uint64_t received_frames = 0;
  uint64_t reconnects = 0;
};

using FrameHandler = std::function<void(uint64_t from, std::string frame)>;
using LogFn = std::function<void(const std::string& line)>;

class Transport {
 public:
  // Listens and starts dialling peers. Error BIND_FAILED.
  static Result<std::unique_ptr<Transport>> Start(const TransportOptions& options,
                                                  FrameHandler on_frame, LogFn log);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Queues `frame` for peer `to`. False if `to` is unknown, the frame is empty
  // or too large, or the peer's queue is full (counted as dropped).
  bool Send(uint64_t to, std::string frame);
  uint16_t port() const;
  std::vector<PeerStats> Stats() const;
  void Stop();

  struct Impl;

 private:
  explicit Transport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_TRANSPORT_H_

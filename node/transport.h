// Peer transport: TLS 1.3 over TCP between validator nodes (Boost.Asio and
// OpenSSL), carrying opaque frames (the node encodes them; see proto/node.proto).
//
// Every connection is mutually authenticated TLS 1.3; there is no plaintext
// mode. A validator's TLS identity is pinned in genesis (node/tls_identity.h):
// the dialler accepts only the certificate pinned for the validator it dials;
// the listener accepts only a certificate pinned for one of the peers, and
// then only a hello that claims that same validator's id. A connection that
// does not prove a pinned identity is closed before any frame is read.
//
// Wire format, per connection (always dialled by the sender; a connection
// carries frames one way), inside TLS:
//   hello:  "TLP2" | u64 sender id (big-endian) | u32 chain tag (big-endian)
//   frames: u32 length (big-endian) | `length` bytes, length <= max_frame_bytes;
//           a frame of length 0 is a keepalive and is not handed out.
// A bad magic, an id other than the TLS identity's, another chain's tag, or a
// frame over the limit closes that connection and is logged; the node is
// otherwise undisturbed.
//
// Limits (docs/node.md, "Peer transport"): the frame size; the frame buffer
// grows as bytes arrive (never to an announced size before the bytes are
// there); a connection must finish its TLS handshake and hello within
// handshake_timeout_ms of being accepted (or dialled); an authenticated
// inbound connection that receives nothing for idle_timeout_ms is closed (the
// dialler sends a keepalive after keepalive_ms without writing); connections
// not yet authenticated are capped in total and per remote address, and
// authenticated ones per validator (a newer one replaces the oldest); per-peer
// send queue in frames and bytes (a full queue drops the new frame: Raft and
// the node retransmit what matters); reconnect with exponential backoff. A
// refused connection is logged at most once per remote address per
// reject_log_interval_ms, and at most kRejectLogLines lines per interval in all.
//
// Thread-safety: Send, Stats and Counters may be called from any thread. The
// frame handler runs on the transport's I/O thread and must not block.
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
  // The pins (32 raw bytes each) of the peer's TLS identity, from genesis. A
  // peer without pins can neither be dialled nor accepted.
  std::vector<std::string> tls_pins;
};

struct TransportOptions {
  uint64_t self_id = 0;
  uint32_t chain_tag = 0;  // first 4 bytes of the genesis hash: peers of other chains are refused
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;        // 0: pick one (see Transport::port)
  std::vector<PeerAddress> peers;  // every other validator
  // This node's TLS identity (PEM; node/tls_identity.h). Required.
  std::string tls_key_pem;
  std::string tls_cert_pem;
  size_t max_frame_bytes = 32 << 20;
  size_t max_queue_frames = 8192;
  size_t max_queue_bytes = 256 << 20;
  int reconnect_min_ms = 50;
  int reconnect_max_ms = 2000;
  int handshake_timeout_ms = 5000;  // TCP accept (or connect) to hello done
  int idle_timeout_ms = 30000;      // authenticated inbound: nothing received
  int keepalive_ms = 5000;          // outbound: an empty frame after this long idle
  size_t max_pending_inbound = 64;  // accepted, not yet authenticated, in total
  size_t max_pending_per_address = 8;
  size_t max_inbound_per_peer = 2;  // authenticated connections per validator
  int reject_log_interval_ms = 60000;
};

// At most this many "dropped a peer connection" lines per reject_log_interval_ms.
inline constexpr int kRejectLogLines = 20;

struct PeerStats {
  uint64_t id = 0;
  bool connected = false;  // our outbound connection is up (TLS and hello done)
  size_t queued_frames = 0;
  uint64_t sent_frames = 0;
  uint64_t dropped_frames = 0;  // queue full
  uint64_t received_frames = 0;
  uint64_t reconnects = 0;
};

// The listener's connections.
struct InboundCounters {
  uint64_t accepted = 0;        // TCP connections accepted
  uint64_t authenticated = 0;   // passed TLS and hello
  uint64_t refused = 0;         // closed at accept: a connection cap was reached
  uint64_t rejected = 0;        // closed before authenticating (TLS, identity, hello, deadline)
  uint64_t log_suppressed = 0;  // refusals not logged (rate limit)
  size_t open_pending = 0;      // open now, not yet authenticated
  size_t open_authenticated = 0;
  size_t buffer_bytes = 0;  // frame buffers allocated now, all inbound connections
};

using FrameHandler = std::function<void(uint64_t from, std::string frame)>;
using LogFn = std::function<void(const std::string& line)>;

class Transport {
 public:
  // Listens and starts dialling peers. Errors: BIND_FAILED, TLS_INVALID (the
  // key or certificate does not load, or they do not belong together).
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
  InboundCounters Counters() const;
  void Stop();

  struct Impl;

 private:
  explicit Transport(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_TRANSPORT_H_

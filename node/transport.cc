// The only node translation unit that includes Boost.Asio (node/tls_identity.cc
// is the other one that includes OpenSSL).
#include "node/transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ledger/hash.h"
#include "ledger/hex.h"

namespace traceledger::node {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;
using TlsStream = ssl::stream<tcp::socket>;

namespace {

constexpr char kMagic[4] = {'T', 'L', 'P', '2'};
constexpr size_t kHelloSize = 4 + 8 + 4;
// One gathered write carries at most this many frames / bytes (at least one frame).
constexpr size_t kMaxGatherFrames = 32;
constexpr size_t kMaxGatherBytes = 1 << 20;
// A frame at least this large is written from its own buffer instead of being
// copied into the gathered one.
constexpr size_t kCopyBelow = 64 << 10;
// An inbound frame buffer starts at this size once the peer is authenticated
// and doubles (up to the frame being read) only when full.
constexpr size_t kReadChunk = 64 << 10;
// Remembered remote addresses for the refusal log's rate limit.
constexpr size_t kMaxRejectLogAddresses = 4096;
constexpr char kZeroLength[4] = {0, 0, 0, 0};

void PutU32(uint32_t v, char* out) {
  for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}
void PutU64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
}
uint64_t GetBE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

int64_t Ms(SteadyClock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// What one TLS connection accepts, and what its peer presented: set on the
// SSL object (ex_data) for the certificate check during the handshake.
struct TlsCheck {
  const std::set<std::string>* allowed = nullptr;  // pins (raw)
  std::string seen_pin;                            // the peer certificate's pin, once seen
  bool matched = false;
};

int TlsCheckIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string PinOf(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (n <= 0) return "";
  std::string pin =
      Hash(HashAlg::kSha256, std::string_view(reinterpret_cast<const char*>(der), size_t(n)));
  OPENSSL_free(der);
  return pin;
}

// Replaces OpenSSL's chain verification: the peer's (leaf) certificate must
// carry a pinned public key. Its signature and dates are not looked at: the
// certificate is self-signed, and the handshake itself proves the peer holds
// the private key of that public key (CertificateVerify).
int VerifyPinned(X509_STORE_CTX* store, void*) {
  SSL* s =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* check = s ? static_cast<TlsCheck*>(SSL_get_ex_data(s, TlsCheckIndex())) : nullptr;
  X509* cert = X509_STORE_CTX_get0_cert(store);
  if (check == nullptr || check->allowed == nullptr || cert == nullptr) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  check->seen_pin = PinOf(cert);
  check->matched = !check->seen_pin.empty() && check->allowed->count(check->seen_pin) > 0;
  if (!check->matched) X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return check->matched ? 1 : 0;
}

// Why a TLS handshake failed, in words an operator can act on.
std::string DescribeTlsFailure(const error_code& ec, const TlsCheck& check) {
  if (!check.seen_pin.empty() && !check.matched) {
    return "its TLS certificate (pin " + ToHex(check.seen_pin) + ") is not pinned in genesis";
  }
  std::string m = ec.message();
  if (m.find("wrong version number") != std::string::npos ||
      m.find("http request") != std::string::npos ||
      m.find("unknown protocol") != std::string::npos) {
    return "not TLS (" + m + ")";
  }
  if (m.find("peer did not return a certificate") != std::string::npos) {
    return "it presented no TLS certificate";
  }
  return "TLS handshake failed: " + m;
}

// Logs each refused remote address at most once per interval (counting the
// rest), and at most kRejectLogLines lines per interval in all: a scanner
// cannot flood the log. I/O thread only.
class RejectLog {
 public:
  explicit RejectLog(int interval_ms) : interval_ms_(interval_ms) {}

  // The line to log for a refusal from `address`, or "" to stay quiet.
  std::string Line(const std::string& address, const std::string& text, int64_t now_ms) {
    if (now_ms - window_start_ >= interval_ms_) {
      window_start_ = now_ms;
      lines_ = 0;
    }
    auto it = last_.find(address);
    if (it != last_.end() && now_ms - it->second.last_ms < interval_ms_) {
      ++it->second.suppressed;
      ++suppressed_total_;
      return "";
    }
    if (lines_ >= kRejectLogLines) {
      ++others_suppressed_;
      ++suppressed_total_;
      return "";
    }
    if (last_.size() >= kMaxRejectLogAddresses && it == last_.end()) {
      std::erase_if(last_,
                    [&](const auto& e) { return now_ms - e.second.last_ms >= interval_ms_; });
      if (last_.size() >= kMaxRejectLogAddresses) last_.clear();
    }
    Entry& e = last_[address];
    std::string line = text;
    if (e.suppressed > 0) {
      line += " (" + std::to_string(e.suppressed) + " more from this address not logged)";
    }
    if (others_suppressed_ > 0) {
      line += " (" + std::to_string(others_suppressed_) + " from other addresses not logged)";
      others_suppressed_ = 0;
    }
    e.last_ms = now_ms;
    e.suppressed = 0;
    ++lines_;
    return line + "; at most one line per address every " + std::to_string(interval_ms_ / 1000) +
           " s";
  }
  uint64_t suppressed_total() const { return suppressed_total_; }

 private:
  struct Entry {
    int64_t last_ms = 0;
    uint64_t suppressed = 0;
  };
  int interval_ms_;
  std::map<std::string, Entry> last_;
  int64_t window_start_ = INT64_MIN / 2;
  int lines_ = 0;
  uint64_t others_suppressed_ = 0;
  uint64_t suppressed_total_ = 0;
};

}  // namespace

struct Transport::Impl : std::enable_shared_from_this<Transport::Impl> {
  // One outbound connection attempt. Handlers hold it, so the stream outlives
  // every operation on it even after the peer moved on to a new attempt.
  struct OutConn {
    OutConn(net::io_context& ioc, ssl::context& ctx) : stream(ioc, ctx) {}
    TlsStream stream;
    TlsCheck check;
    std::array<char, 1> watch_buf{};
    // The gathered part of the write in flight: per connection, so that a
    // write still completing on a closed connection never sees the next
    // connection's data.
    std::string wbuf;
  };

  struct Peer {
    PeerAddress addr;
    std::set<std::string> pins;     // immutable after Start
    std::deque<std::string> queue;  // guarded by Impl::mu
    size_t queued_bytes = 0;        // guarded by Impl::mu
    PeerStats stats;                // guarded by Impl::mu
    // I/O-thread state.
    std::shared_ptr<OutConn> conn;
    std::unique_ptr<net::steady_timer> timer;
    bool connected = false;
    bool connecting = false;
    bool writing = false;
    int backoff_ms = 0;
    uint64_t gen = 0;           // bumped per connection attempt; stale handlers ignore themselves
    size_t writing_frames = 0;  // frames of the write in flight (the queue's first ones)
    SteadyClock::time_point deadline;    // connecting: the handshake must be done by then
    SteadyClock::time_point last_write;  // connected: when the last write completed
    std::string last_failure;            // the last dial failure logged
    uint64_t same_failures = 0;          // failures since, for the same reason
  };

  struct Inbound {
    enum Phase { kHandshake, kHello, kFrames };
    Inbound(tcp::socket s, ssl::context& ctx) : stream(std::move(s), ctx) {}
    TlsStream stream;
    TlsCheck check;
    Phase phase = kHandshake;
    bool closed = false;
    uint64_t seq = 0;
    std::string ip;
    std::string remote;                 // ip:port
    SteadyClock::time_point deadline;   // kHandshake, kHello: authenticated by then or closed
    SteadyClock::time_point last_read;  // kFrames
    std::array<char, kHelloSize> hello{};
    // Received bytes not yet handed out as frames: buf[start, end). Allocated
    // once authenticated; grows (doubling, at most to the frame being read)
    // only when full, so its size is at most twice what the peer has sent of
    // the frame in progress plus kReadChunk.
    std::vector<char> buf;
    size_t start = 0;
    size_t end = 0;
    uint64_t from = 0;
  };

  TransportOptions options;
  FrameHandler on_frame;
  LogFn log;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  ssl::context tls{ssl::context::tls};
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  net::steady_timer housekeeping{ioc};
  std::thread thread;
  uint16_t port = 0;
  bool stopped = false;                       // I/O thread only
  std::atomic<bool> stop_called{false};       // Stop() idempotence
  std::set<std::string> all_pins;             // every peer's pins; immutable after Start
  std::map<std::string, uint64_t> pin_owner;  // pin -> peer id; immutable after Start

  mutable std::mutex mu;
  std::condition_variable done_cv;                  // signalled when the I/O loop has returned
  bool run_done = false;                            // guarded by mu
  std::map<uint64_t, std::unique_ptr<Peer>> peers;  // the map itself is immutable after Start
  InboundCounters counters;                         // guarded by mu

  // I/O thread only.
  std::map<uint64_t, std::shared_ptr<Inbound>> inbound;  // open connections by accept order
  uint64_t next_seq = 0;
  RejectLog reject_log{60000};

  void Log(const std::string& s) {
    if (log) log(s);
  }

  template <typename F>
  void Count(F f) {
    std::lock_guard<std::mutex> l(mu);
    f(counters);
  }

  // ---- outbound ----
  void Dial(Peer* p) {
    if (p->connecting || p->connected || stopped) return;
    p->connecting = true;
    uint64_t gen = ++p->gen;
    auto conn = std::make_shared<OutConn>(ioc, tls);
    p->conn = conn;
    p->deadline = SteadyClock::now() + std::chrono::milliseconds(options.handshake_timeout_ms);
    conn->check.allowed = &p->pins;
    SSL_set_ex_data(conn->stream.native_handle(), TlsCheckIndex(), &conn->check);
    error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(p->addr.host, std::to_string(p->addr.port), ec);
    if (ec) {
      OnDialFailed(p, gen, "cannot resolve " + p->addr.host + ": " + ec.message());
      return;
    }
    net::async_connect(
        conn->stream.lowest_layer(), results,
        [self = shared_from_this(), p, gen, conn](error_code ec, const tcp::endpoint&) {
          if (ec) {
            self->OnDialFailed(p, gen, ec.message());
            return;
          }
          if (gen != p->gen) return;
          error_code ignored;
          conn->stream.lowest_layer().set_option(tcp::no_delay(true), ignored);
          conn->stream.async_handshake(
              ssl::stream_base::client, [self, p, gen, conn](error_code ec) {
                if (ec) {
                  std::string why = DescribeTlsFailure(ec, conn->check);
                  if (!conn->check.seen_pin.empty() && !conn->check.matched) {
                    why = "it is not validator " + std::to_string(p->addr.id) + ": " + why +
                          " for that validator";
                  }
                  self->OnDialFailed(p, gen, why);
                  return;
                }
                self->SendHello(p, gen, conn);
              });
        });
  }

  void OnDialFailed(Peer* p, uint64_t gen, const std::string& why) {
    if (stopped || gen != p->gen) return;
    ++p->gen;  // later handlers of this connection are stale
    bool was_connected = p->connected;
    p->connecting = false;
    p->connected = false;
    p->writing = false;
    if (p->conn) {
      error_code ec;
      p->conn->stream.lowest_layer().close(ec);
    }
    if (was_connected) {
      Log("peer " + std::to_string(p->addr.id) + " disconnected: " + why);
      p->last_failure.clear();
    } else if (why != p->last_failure || ++p->same_failures % 100 == 0) {
      // A peer that stays unreachable: say why when the reason changes, and
      // then every 100th attempt (about every 3 minutes), not at every retry.
      Log("cannot connect to peer " + std::to_string(p->addr.id) + " at " + p->addr.host + ":" +
          std::to_string(p->addr.port) + ": " + why);
      if (why != p->last_failure) p->same_failures = 0;
      p->last_failure = why;
    }
    p->backoff_ms = p->backoff_ms == 0 ? options.reconnect_min_ms
                                       : std::min(options.reconnect_max_ms, p->backoff_ms * 2);
    {
      std::lock_guard<std::mutex> l(mu);
      p->stats.connected = false;
      ++p->stats.reconnects;
    }
    p->timer->expires_after(std::chrono::milliseconds(p->backoff_ms));
    p->timer->async_wait([self = shared_from_this(), p](error_code ec) {
      if (!ec) self->Dial(p);
    });
  }

  void SendHello(Peer* p, uint64_t gen, std::shared_ptr<OutConn> conn) {
    if (gen != p->gen) return;
    auto hello = std::make_shared<std::array<char, kHelloSize>>();
    std::memcpy(hello->data(), kMagic, 4);
    PutU64(options.self_id, hello->data() + 4);
    PutU32(options.chain_tag, hello->data() + 12);
    net::async_write(conn->stream, net::buffer(*hello),
                     [self = shared_from_this(), p, hello, gen, conn](error_code ec, size_t) {
                       if (ec) {
                         self->OnDialFailed(p, gen, ec.message());
                         return;
                       }
                       if (gen != p->gen) return;
                       p->connecting = false;
                       p->connected = true;
                       p->backoff_ms = 0;
                       p->last_write = SteadyClock::now();
                       {
                         std::lock_guard<std::mutex> l(self->mu);
                         p->stats.connected = true;
                       }
                       self->Log("connected to peer " + std::to_string(p->addr.id) + " at " +
                                 p->addr.host + ":" + std::to_string(p->addr.port) +
                                 " (TLS 1.3, identity pinned)");
                       self->Watch(p, gen, conn);
                       self->WriteNext(p);
                     });
  }

  // The peer never writes on our outbound connection: any read completion
  // means it closed (or misbehaves), so reconnect at once instead of losing
  // frames into a dead socket.
  void Watch(Peer* p, uint64_t gen, std::shared_ptr<OutConn> conn) {
    conn->stream.async_read_some(net::buffer(conn->watch_buf), [self = shared_from_this(), p, gen,
                                                                conn](error_code ec, size_t) {
      self->OnDialFailed(p, gen, ec ? ec.message() : "unexpected bytes");
    });
  }

  // Writes the queue's first frames (up to kMaxGatherFrames / kMaxGatherBytes,
  // at least one) in one write: small frames are copied with their lengths
  // into one buffer (one TLS record and one system call for many forwarded
  // submissions or Raft messages); a large frame follows from its own buffer
  // and ends the write. With `keepalive` and nothing queued, writes an empty
  // frame.
  void WriteNext(Peer* p, bool keepalive = false) {
    if (!p->connected || p->writing || stopped) return;
    std::vector<net::const_buffer> bufs;
    size_t frames = 0;
    std::string& wbuf = p->conn->wbuf;
    wbuf.clear();
    {
      std::lock_guard<std::mutex> l(mu);
      if (p->queue.empty() && !keepalive) return;
      size_t bytes = 0;
      // Elements stay put while we write: only this thread pops, and a deque's
      // push_back does not move existing elements.
      for (const std::string& frame : p->queue) {
        if (frames == kMaxGatherFrames || (frames > 0 && bytes + frame.size() > kMaxGatherBytes)) {
          break;
        }
        char len[4];
        PutU32(static_cast<uint32_t>(frame.size()), len);
        wbuf.append(len, 4);
        ++frames;
        bytes += frame.size();
        if (frame.size() >= kCopyBelow) {
          bufs.push_back(net::buffer(wbuf));
          bufs.push_back(net::buffer(frame));
          break;
        }
        wbuf.append(frame);
      }
    }
    if (frames == 0) {
      bufs.push_back(net::buffer(kZeroLength, 4));
    } else if (bufs.empty()) {
      bufs.push_back(net::buffer(wbuf));
    }
    p->writing = true;
    p->writing_frames = frames;
    uint64_t gen = p->gen;
    net::async_write(p->conn->stream, bufs,
                     [self = shared_from_this(), p, gen, conn = p->conn](error_code ec, size_t) {
                       if (gen != p->gen)
                         return;  // connection replaced; the frames are still queued
                       p->writing = false;
                       if (ec) {
                         // The frames stay queued and are sent again on the next connection.
                         self->OnDialFailed(p, gen, ec.message());
                         return;
                       }
                       p->last_write = SteadyClock::now();
                       {
                         std::lock_guard<std::mutex> l(self->mu);
                         for (size_t i = 0; i < p->writing_frames; ++i) {
                           p->queued_bytes -= p->queue.front().size();
                           p->queue.pop_front();
                           ++p->stats.sent_frames;
                         }
                       }
                       self->WriteNext(p);
                     });
  }

  // ---- inbound ----
  void Accept() {
    acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket s) {
      if (self->stopped || !self->acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors or similar: try again shortly instead of spinning.
        self->accept_retry.expires_after(std::chrono::milliseconds(50));
        self->accept_retry.async_wait([self](error_code ec) {
          if (!ec) self->Accept();
        });
        return;
      }
      self->OnAccept(std::move(s));
      self->Accept();
    });
  }

  void OnAccept(tcp::socket s) {
    error_code ec;
    auto ep = s.remote_endpoint(ec);
    std::string ip = ec ? "?" : ep.address().to_string();
    std::string remote = ec ? "?" : ip + ":" + std::to_string(ep.port());
    Count([](InboundCounters& c) { ++c.accepted; });
    size_t pending = 0, from_ip = 0;
    for (const auto& [seq, in] : inbound) {
      if (in->phase == Inbound::kFrames) continue;
      ++pending;
      if (in->ip == ip) ++from_ip;
    }
    if (pending >= options.max_pending_inbound || from_ip >= options.max_pending_per_address) {
      Count([](InboundCounters& c) { ++c.refused; });
      LogRefusal(ip, "refused a peer connection from " + remote + ": " +
                         (from_ip >= options.max_pending_per_address
                              ? std::to_string(from_ip) + " connections from this address"
                              : std::to_string(pending) + " connections") +
                         " are not authenticated yet");
      s.close(ec);
      return;
    }
    auto in = std::make_shared<Inbound>(std::move(s), tls);
    in->seq = ++next_seq;
    in->ip = ip;
    in->remote = remote;
    in->deadline = SteadyClock::now() + std::chrono::milliseconds(options.handshake_timeout_ms);
    in->check.allowed = &all_pins;
    SSL_set_ex_data(in->stream.native_handle(), TlsCheckIndex(), &in->check);
    inbound[in->seq] = in;
    Count([](InboundCounters& c) { ++c.open_pending; });
    in->stream.async_handshake(ssl::stream_base::server,
                               [self = shared_from_this(), in](error_code ec) {
                                 if (in->closed) return;
                                 if (ec) {
                                   self->Reject(*in, DescribeTlsFailure(ec, in->check));
                                   return;
                                 }
                                 in->phase = Inbound::kHello;
                                 self->ReadHello(in);
                               });
  }

  void LogRefusal(const std::string& ip, const std::string& text) {
    std::string line = reject_log.Line(ip, text, Ms(SteadyClock::now().time_since_epoch()));
    if (line.empty()) {
      Count([](InboundCounters& c) { ++c.log_suppressed; });
    } else {
      Log(line);
    }
  }

  // Closes a connection that did not authenticate, with a (rate-limited) log line.
  void Reject(Inbound& in, const std::string& why) {
    if (in.closed) return;
    Count([](InboundCounters& c) { ++c.rejected; });
    LogRefusal(in.ip, "dropped a peer connection from " + in.remote + " before any frame: " + why);
    Close(in);
  }

  void Close(Inbound& in) {
    if (in.closed) return;
    in.closed = true;
    error_code ec;
    in.stream.lowest_layer().close(ec);
    size_t freed = in.buf.capacity();
    std::vector<char>().swap(in.buf);
    Count([&](InboundCounters& c) {
      (in.phase == Inbound::kFrames ? c.open_authenticated : c.open_pending) -= 1;
      c.buffer_bytes -= freed;
    });
    inbound.erase(in.seq);  // may drop the last reference but one: handlers hold `in`
  }

  void ReadHello(std::shared_ptr<Inbound> in) {
    net::async_read(
        in->stream, net::buffer(in->hello), [self = shared_from_this(), in](error_code ec, size_t) {
          if (in->closed) return;
          if (ec) {
            self->Reject(*in, "no hello after the TLS handshake (" + ec.message() + ")");
            return;
          }
          self->CheckHello(in);
        });
  }

  void CheckHello(std::shared_ptr<Inbound> in) {
    uint64_t claimed = GetBE(in->hello.data() + 4, 8);
    uint32_t tag = static_cast<uint32_t>(GetBE(in->hello.data() + 12, 4));
    auto owner = pin_owner.find(in->check.seen_pin);
    if (!in->check.matched || owner == pin_owner.end()) {  // cannot happen: TLS checked it
      Reject(*in, "no pinned TLS identity");
      return;
    }
    uint64_t id = owner->second;
    if (std::memcmp(in->hello.data(), kMagic, 4) != 0) {
      Reject(*in, "not a traceledger peer hello (bad magic) from the TLS identity of node " +
                      std::to_string(id));
      return;
    }
    if (claimed != id) {
      Reject(*in, "it presented the TLS identity of node " + std::to_string(id) +
                      " but claimed to be node " + std::to_string(claimed));
      return;
    }
    if (tag != options.chain_tag) {
      Reject(*in, "node " + std::to_string(id) + " runs another chain (genesis differs)");
      return;
    }
    in->from = id;
    in->phase = Inbound::kFrames;
    in->last_read = SteadyClock::now();
    in->buf.reserve(kReadChunk);
    in->buf.resize(kReadChunk);
    Count([&](InboundCounters& c) {
      --c.open_pending;
      ++c.open_authenticated;
      ++c.authenticated;
      c.buffer_bytes += in->buf.capacity();
    });
    // A dialler keeps one connection: older ones from the same peer are dead
    // or dying. Keep the newest max_inbound_per_peer.
    std::vector<Inbound*> same;
    for (auto& [seq, other] : inbound) {
      if (other->phase == Inbound::kFrames && other->from == id) same.push_back(other.get());
    }
    for (size_t i = 0; i + options.max_inbound_per_peer < same.size(); ++i) Close(*same[i]);
    ReadMore(in);
  }

  // Reads what the stream has and hands out every complete frame in it.
  // TakeFrames leaves room after in->end (see there).
  void ReadMore(std::shared_ptr<Inbound> in) {
    in->stream.async_read_some(net::buffer(in->buf.data() + in->end, in->buf.size() - in->end),
                               [self = shared_from_this(), in](error_code ec, size_t n) {
                                 if (in->closed) return;
                                 if (ec) {
                                   self->Close(*in);
                                   return;
                                 }
                                 in->last_read = SteadyClock::now();
                                 in->end += n;
                                 if (!self->TakeFrames(*in)) {
                                   self->Close(*in);
                                   return;
                                 }
                                 self->ReadMore(in);
                               });
  }

  // Hands out the complete frames in in.buf. False (the connection is to be
  // closed) on a length over max_frame_bytes.
  bool TakeFrames(Inbound& in) {
    uint64_t need = 0;  // bytes of the incomplete frame at in.start, length included
    while (in.end - in.start >= 4) {
      uint64_t n = GetBE(in.buf.data() + in.start, 4);
      if (n > options.max_frame_bytes) {
        Log("dropped the connection of peer " + std::to_string(in.from) + ": frame of " +
            std::to_string(n) + " bytes is over the limit of " +
            std::to_string(options.max_frame_bytes));
        return false;
      }
      if (in.end - in.start < 4 + n) {
        need = 4 + n;
        break;
      }
      if (n > 0) {  // an empty frame is a keepalive
        {
          std::lock_guard<std::mutex> l(mu);
          ++peers[in.from]->stats.received_frames;  // counted before the handler sees it
        }
        on_frame(in.from, std::string(in.buf.data() + in.start + 4, n));
      }
      in.start += 4 + n;
    }
    size_t before = in.buf.capacity();
    if (in.start == in.end) {
      in.start = in.end = 0;
      // After a large frame (a block batch) give the memory back.
      if (in.buf.size() > 4 * kReadChunk) {
        in.buf.resize(kReadChunk);
        in.buf.shrink_to_fit();
      }
    } else if (in.end == in.buf.size()) {
      if (in.start > 0) MoveToFront(in);
      if (in.end == in.buf.size()) {
        // Full with one incomplete frame: grow, doubling, never past that frame
        // (need > size here: the frame did not fit). The peer has sent every
        // byte now held, so memory follows what arrived, not what was announced.
        size_t grow =
            std::max<size_t>(in.buf.size() + 1, std::min<uint64_t>(need, 2 * in.buf.size()));
        in.buf.reserve(grow);  // exactly: capacity is what the peer made us hold
        in.buf.resize(grow);
      }
    }
    size_t after = in.buf.capacity();
    if (after != before) {
      Count([&](InboundCounters& c) { c.buffer_bytes += after - before; });
    }
    // Invariant: in.end < in.buf.size() (room for the next read).
    return true;
  }

  // Moves the unprocessed bytes buf[start, end) to the front of the buffer.
  static void MoveToFront(Inbound& in) {
    std::memmove(in.buf.data(), in.buf.data() + in.start, in.end - in.start);
    in.end -= in.start;
    in.start = 0;
  }

  // ---- deadlines and keepalives ----
  int HousekeepingPeriodMs() const {
    int m = std::min({options.handshake_timeout_ms, options.idle_timeout_ms, options.keepalive_ms});
    return std::clamp(m / 4, 5, 1000);
  }

  void Housekeep() {
    if (stopped) return;
    auto now = SteadyClock::now();
    std::vector<std::shared_ptr<Inbound>> late, idle;
    for (auto& [seq, in] : inbound) {
      if (in->phase != Inbound::kFrames && now >= in->deadline) late.push_back(in);
      if (in->phase == Inbound::kFrames &&
          Ms(now - in->last_read) >= static_cast<int64_t>(options.idle_timeout_ms)) {
        idle.push_back(in);
      }
    }
    for (auto& in : late) {
      Reject(*in,
             in->phase == Inbound::kHandshake
                 ? "no TLS handshake within " + std::to_string(options.handshake_timeout_ms) + " ms"
                 : "no hello within " + std::to_string(options.handshake_timeout_ms) +
                       " ms of connecting");
    }
    for (auto& in : idle) {
      Log("closed the connection of peer " + std::to_string(in->from) + " from " + in->remote +
          ": nothing received for " + std::to_string(options.idle_timeout_ms) + " ms");
      Close(*in);
    }
    for (auto& [id, p] : peers) {
      Peer* peer = p.get();
      if (peer->connecting && now >= peer->deadline) {
        OnDialFailed(
            peer, peer->gen,
            "no TLS handshake within " + std::to_string(options.handshake_timeout_ms) + " ms");
      } else if (peer->connected && !peer->writing &&
                 Ms(now - peer->last_write) >= static_cast<int64_t>(options.keepalive_ms)) {
        WriteNext(peer, /*keepalive=*/true);
      }
    }
    housekeeping.expires_after(std::chrono::milliseconds(HousekeepingPeriodMs()));
    housekeeping.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->Housekeep();
    });
  }

  // ---- TLS ----
  Status SetUpTls() {
    SSL_CTX* ctx = tls.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    // Connections are long-lived and few: no session tickets or resumption
    // (every connection proves its identity with a full handshake).
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_cert_verify_callback(ctx, VerifyPinned, nullptr);
    error_code ec;
    tls.use_certificate(net::buffer(options.tls_cert_pem), ssl::context::pem, ec);
    if (!ec) tls.use_private_key(net::buffer(options.tls_key_pem), ssl::context::pem, ec);
    if (!ec && SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return Status::Error("TLS_INVALID", "the TLS key does not belong to the TLS certificate");
    }
    ERR_clear_error();
    if (ec) {
      return Status::Error("TLS_INVALID",
                           "cannot load the TLS key and certificate: " + ec.message());
    }
    return Status::OK();
  }
};

Transport::Transport(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transport::~Transport() { Stop(); }

Result<std::unique_ptr<Transport>> Transport::Start(const TransportOptions& options,
                                                    FrameHandler on_frame, LogFn log) {
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  impl->on_frame = std::move(on_frame);
  impl->log = std::move(log);
  impl->reject_log = RejectLog(std::max(1, options.reject_log_interval_ms));
  if (options.tls_key_pem.empty() || options.tls_cert_pem.empty()) {
    return Status::Error("TLS_INVALID", "the transport needs this node's TLS key and certificate");
  }
  TL_RETURN_IF_ERROR(impl->SetUpTls());
  for (const auto& p : options.peers) {
    if (p.id == options.self_id || p.id == 0) continue;
    auto peer = std::make_unique<Impl::Peer>();
    peer->addr = p;
    peer->stats.id = p.id;
    peer->timer = std::make_unique<net::steady_timer>(impl->ioc);
    for (const auto& pin : p.tls_pins) {
      peer->pins.insert(pin);
      impl->all_pins.insert(pin);
      impl->pin_owner[pin] = p.id;
    }
    impl->peers[p.id] = std::move(peer);
  }
  error_code ec;
  auto addr = net::ip::make_address(options.listen_host, ec);
  std::string where = options.listen_host + ":" + std::to_string(options.listen_port);
  if (ec) return Status::Error("BIND_FAILED", "not an IP address: " + options.listen_host);
  tcp::endpoint ep(addr, options.listen_port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error("BIND_FAILED", "cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (auto& [id, p] : impl->peers) {
    net::post(impl->ioc, [i = impl.get(), p = p.get()] { i->Dial(p); });
  }
  net::post(impl->ioc, [i = impl.get()] { i->Housekeep(); });
  impl->thread = std::thread([i = impl.get()] {
    // A handler that throws (out of memory, say) must not end the process:
    // log it and go on; the connection it served is closed by its deadline.
    while (true) {
      try {
        i->ioc.run();
        break;
      } catch (const std::exception& e) {
        i->Log(std::string("peer transport: unexpected exception in a handler: ") + e.what() +
               "; going on");
      }
    }
    std::lock_guard<std::mutex> l(i->mu);
    i->run_done = true;
    i->done_cv.notify_all();
  });
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

bool Transport::Send(uint64_t to, std::string frame) {
  auto it = impl_->peers.find(to);
  if (it == impl_->peers.end() || frame.empty() || frame.size() > impl_->options.max_frame_bytes) {
    return false;
  }
  Impl::Peer* p = it->second.get();
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    if (p->queue.size() >= impl_->options.max_queue_frames ||
        p->queued_bytes + frame.size() > impl_->options.max_queue_bytes) {
      ++p->stats.dropped_frames;
      return false;
    }
    p->queued_bytes += frame.size();
    p->queue.push_back(std::move(frame));
  }
  net::post(impl_->ioc, [i = impl_.get(), p] { i->WriteNext(p); });
  return true;
}

uint16_t Transport::port() const { return impl_->port; }

std::vector<PeerStats> Transport::Stats() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::vector<PeerStats> out;
  for (const auto& [id, p] : impl_->peers) {
    PeerStats s = p->stats;
    s.queued_frames = p->queue.size();
    out.push_back(s);
  }
  return out;
}

InboundCounters Transport::Counters() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->counters;
}

void Transport::Stop() {
  if (!impl_ || impl_->stop_called.exchange(true)) return;
  net::post(impl_->ioc, [i = impl_.get()] {
    i->stopped = true;
    error_code ec;
    i->acceptor.close(ec);
    i->accept_retry.cancel();
    i->housekeeping.cancel();
    for (auto& [id, p] : i->peers) {
      p->timer->cancel();
      if (p->conn) p->conn->stream.lowest_layer().close(ec);
    }
    std::vector<std::shared_ptr<Impl::Inbound>> open;
    for (auto& [seq, in] : i->inbound) open.push_back(in);
    for (auto& in : open) i->Close(*in);
  });
  // With every socket closed and timer cancelled, the pending handlers finish
  // without re-arming and run() returns (which also releases the handlers'
  // references to Impl). Should anything linger, stop the loop after 2 s.
  impl_->work.reset();
  {
    std::unique_lock<std::mutex> l(impl_->mu);
    if (!impl_->done_cv.wait_for(l, std::chrono::seconds(2), [&] { return impl_->run_done; })) {
      impl_->ioc.stop();
    }
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace traceledger::node

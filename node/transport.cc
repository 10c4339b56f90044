// The only node translation unit that includes Boost.Asio.
#include "node/transport.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace traceledger::node {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr char kMagic[4] = {'T', 'L', 'P', '1'};
constexpr size_t kHelloSize = 4 + 8 + 4;
// One gathered write carries at most this many frames / bytes (at least one frame).
constexpr size_t kMaxGatherFrames = 32;  // Asio passes at most 64 buffers to one sendmsg
constexpr size_t kMaxGatherBytes = 1 << 20;
// Inbound reads ask for this much at a time.
constexpr size_t kReadChunk = 64 << 10;

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

}  // namespace

struct Transport::Impl : std::enable_shared_from_this<Transport::Impl> {
  struct Peer {
    PeerAddress addr;
    std::deque<std::string> queue;  // guarded by Impl::mu
    size_t queued_bytes = 0;        // guarded by Impl::mu
    PeerStats stats;                // guarded by Impl::mu
    // I/O-thread state.
    std::unique_ptr<tcp::socket> socket;
    std::unique_ptr<net::steady_timer> timer;
    bool connected = false;
    bool connecting = false;
    bool writing = false;
    int backoff_ms = 0;
    uint64_t gen = 0;           // bumped per connection attempt; stale handlers ignore themselves
    size_t writing_frames = 0;  // frames of the write in flight (the queue's first ones)
    std::array<std::array<char, 4>, kMaxGatherFrames> len_bufs{};
    std::array<char, 1> watch_buf{};
  };

  TransportOptions options;
  FrameHandler on_frame;
  LogFn log;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  uint16_t port = 0;
  bool stopped = false;                  // I/O thread only
  std::atomic<bool> stop_called{false};  // Stop() idempotence

  mutable std::mutex mu;
  std::condition_variable done_cv;                  // signalled when the I/O loop has returned
  bool run_done = false;                            // guarded by mu
  std::map<uint64_t, std::unique_ptr<Peer>> peers;  // the map itself is immutable after Start

  void Log(const std::string& s) {
    if (log) log(s);
  }

  // ---- outbound ----
  void Dial(Peer* p) {
    if (p->connecting || p->connected || stopped) return;
    p->connecting = true;
    uint64_t gen = ++p->gen;
    p->socket = std::make_unique<tcp::socket>(ioc);
    error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(p->addr.host, std::to_string(p->addr.port), ec);
    if (ec) {
      OnDialFailed(p, gen, "cannot resolve " + p->addr.host + ": " + ec.message());
      return;
    }
    net::async_connect(*p->socket, results,
                       [self = shared_from_this(), p, gen](error_code ec, const tcp::endpoint&) {
                         if (ec) {
                           self->OnDialFailed(p, gen, ec.message());
                           return;
                         }
                         self->SendHello(p, gen);
                       });
  }

  void OnDialFailed(Peer* p, uint64_t gen, const std::string& why) {
    if (stopped || gen != p->gen) return;
    ++p->gen;  // later handlers of this connection are stale
    bool was_connected = p->connected;
    p->connecting = false;
    p->connected = false;
    p->writing = false;
    if (p->socket) {
      error_code ec;
      p->socket->close(ec);
    }
    if (was_connected) Log("peer " + std::to_string(p->addr.id) + " disconnected: " + why);
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

  void SendHello(Peer* p, uint64_t gen) {
    auto hello = std::make_shared<std::array<char, kHelloSize>>();
    std::memcpy(hello->data(), kMagic, 4);
    PutU64(options.self_id, hello->data() + 4);
    PutU32(options.chain_tag, hello->data() + 12);
    net::async_write(*p->socket, net::buffer(*hello),
                     [self = shared_from_this(), p, hello, gen](error_code ec, size_t) {
                       if (ec) {
                         self->OnDialFailed(p, gen, ec.message());
                         return;
                       }
                       if (gen != p->gen) return;
                       p->connecting = false;
                       p->connected = true;
                       p->backoff_ms = 0;
                       {
                         std::lock_guard<std::mutex> l(self->mu);
                         p->stats.connected = true;
                       }
                       self->Log("connected to peer " + std::to_string(p->addr.id) + " at " +
                                 p->addr.host + ":" + std::to_string(p->addr.port));
                       self->Watch(p, gen);
                       self->WriteNext(p);
                     });
  }

  // The peer never writes on our outbound connection: any read completion
  // means it closed (or misbehaves), so reconnect at once instead of losing
  // frames into a dead socket.
  void Watch(Peer* p, uint64_t gen) {
    p->socket->async_read_some(net::buffer(p->watch_buf),
                               [self = shared_from_this(), p, gen](error_code ec, size_t) {
                                 self->OnDialFailed(p, gen, ec ? ec.message() : "unexpected bytes");
                               });
  }

  // Writes the queue's first frames (up to kMaxGatherFrames / kMaxGatherBytes,
  // at least one) with one gathered write: many small frames (forwarded
  // submissions, Raft messages) cost one system call.
  void WriteNext(Peer* p) {
    if (!p->connected || p->writing || stopped) return;
    std::vector<net::const_buffer> bufs;
    {
      std::lock_guard<std::mutex> l(mu);
      if (p->queue.empty()) return;
      size_t bytes = 0;
      // Elements stay put while we write: only this thread pops, and a deque's
      // push_back does not move existing elements.
      for (const std::string& frame : p->queue) {
        size_t n = bufs.size() / 2;
        if (n == kMaxGatherFrames || (n > 0 && bytes + frame.size() > kMaxGatherBytes)) break;
        PutU32(static_cast<uint32_t>(frame.size()), p->len_bufs[n].data());
        bufs.push_back(net::buffer(p->len_bufs[n]));
        bufs.push_back(net::buffer(frame));
        bytes += frame.size();
      }
    }
    p->writing = true;
    p->writing_frames = bufs.size() / 2;
    uint64_t gen = p->gen;
    net::async_write(*p->socket, bufs, [self = shared_from_this(), p, gen](error_code ec, size_t) {
      if (gen != p->gen) return;  // connection replaced; the frames are still queued
      p->writing = false;
      if (ec) {
        // The frames stay queued and are sent again on the next connection.
        self->OnDialFailed(p, gen, ec.message());
        return;
      }
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
  struct Inbound : std::enable_shared_from_this<Inbound> {
    explicit Inbound(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<char, kHelloSize> hello{};
    // Received bytes not yet handed out as frames: buf[start, end). Grows to
    // hold one whole frame at most (max_frame_bytes + 4).
    std::vector<char> buf = std::vector<char>(kReadChunk);
    size_t start = 0;
    size_t end = 0;
    uint64_t from = 0;
  };

  std::vector<std::weak_ptr<Inbound>> inbound;  // I/O thread only

  void Accept() {
    acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket s) {
      if (ec) {
        if (!self->acceptor.is_open()) return;
      } else {
        auto in = std::make_shared<Inbound>(std::move(s));
        // Forget connections that have ended, remember this one for Stop().
        std::erase_if(self->inbound, [](const std::weak_ptr<Inbound>& w) { return w.expired(); });
        self->inbound.push_back(in);
        self->ReadHello(in);
      }
      self->Accept();
    });
  }

  void ReadHello(std::shared_ptr<Inbound> in) {
    net::async_read(in->socket, net::buffer(in->hello),
                    [self = shared_from_this(), in](error_code ec, size_t) {
                      if (ec) return;
                      uint64_t from = GetBE(in->hello.data() + 4, 8);
                      uint32_t tag = static_cast<uint32_t>(GetBE(in->hello.data() + 12, 4));
                      std::string remote;
                      error_code rec;
                      auto ep = in->socket.remote_endpoint(rec);
                      if (!rec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
                      if (std::memcmp(in->hello.data(), kMagic, 4) != 0) {
                        self->Log("dropped a peer connection from " + remote +
                                  ": not a traceledger peer (bad magic)");
                        return;
                      }
                      if (self->peers.count(from) == 0) {
                        self->Log("dropped a peer connection from " + remote +
                                  ": unknown node id " + std::to_string(from));
                        return;
                      }
                      if (tag != self->options.chain_tag) {
                        self->Log("dropped a peer connection from node " + std::to_string(from) +
                                  ": it runs another chain (genesis differs)");
                        return;
                      }
                      in->from = from;
                      self->ReadMore(in);
                    });
  }

  // Reads what the socket has (one system call for many small frames) and
  // hands out every complete frame in it.
  // TakeFrames leaves room after in->end (see there).
  void ReadMore(std::shared_ptr<Inbound> in) {
    in->socket.async_read_some(net::buffer(in->buf.data() + in->end, in->buf.size() - in->end),
                               [self = shared_from_this(), in](error_code ec, size_t n) {
                                 if (ec) return;
                                 in->end += n;
                                 if (!self->TakeFrames(*in)) return;
                                 self->ReadMore(in);
                               });
  }

  // Hands out the complete frames in in.buf. False (the connection is dropped)
  // on a length outside 1..max_frame_bytes.
  bool TakeFrames(Inbound& in) {
    while (in.end - in.start >= 4) {
      uint64_t n = GetBE(in.buf.data() + in.start, 4);
      if (n == 0 || n > options.max_frame_bytes) {
        Log("dropped the connection of peer " + std::to_string(in.from) + ": frame of " +
            std::to_string(n) + " bytes is outside 1.." + std::to_string(options.max_frame_bytes));
        return false;
      }
      if (in.end - in.start < 4 + n) {
        // Incomplete: make sure the buffer can hold the whole frame.
        if (in.start + 4 + n > in.buf.size()) {
          MoveToFront(in);
          if (4 + n > in.buf.size()) in.buf.resize(4 + n);
        }
        break;
      }
      {
        std::lock_guard<std::mutex> l(mu);
        ++peers[in.from]->stats.received_frames;  // counted before the handler sees it
      }
      on_frame(in.from, std::string(in.buf.data() + in.start + 4, n));
      in.start += 4 + n;
    }
    if (in.start == in.end) {
      in.start = in.end = 0;
      // After a large frame (a block batch) give the memory back.
      if (in.buf.size() > 4 * kReadChunk) {
        in.buf.resize(kReadChunk);
        in.buf.shrink_to_fit();
      }
    } else if (in.end == in.buf.size()) {
      MoveToFront(in);  // part of a length prefix at the very end
    }
    // Invariant: in.end < in.buf.size() (room for the next read), because a
    // partial frame now fits in the buffer from in.start on.
    return true;
  }

  // Moves the unprocessed bytes buf[start, end) to the front of the buffer.
  static void MoveToFront(Inbound& in) {
    std::memmove(in.buf.data(), in.buf.data() + in.start, in.end - in.start);
    in.end -= in.start;
    in.start = 0;
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
  for (const auto& p : options.peers) {
    if (p.id == options.self_id || p.id == 0) continue;
    auto peer = std::make_unique<Impl::Peer>();
    peer->addr = p;
    peer->stats.id = p.id;
    peer->timer = std::make_unique<net::steady_timer>(impl->ioc);
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
  impl->thread = std::thread([i = impl.get()] {
    i->ioc.run();
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

void Transport::Stop() {
  if (!impl_ || impl_->stop_called.exchange(true)) return;
  net::post(impl_->ioc, [i = impl_.get()] {
    i->stopped = true;
    error_code ec;
    i->acceptor.close(ec);
    for (auto& [id, p] : i->peers) {
      p->timer->cancel();
      if (p->socket) p->socket->close(ec);
    }
    for (auto& w : i->inbound) {
      if (auto in = w.lock()) in->socket.close(ec);
    }
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

// The node runtime: a NodeCore on one loop thread, with the real clock and the
// TCP peer transport.
#include "node/node.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "ledger/hash.h"
#include "ledger/hex.h"
#include "node/node_core.h"
#include "node/tls_identity.h"
#include "node/transport.h"

namespace traceledger::node {
namespace {

bool SplitHostPort(const std::string& hp, std::string* host, uint16_t* port) {
  auto c = hp.rfind(':');
  if (c == std::string::npos) return false;
  *host = hp.substr(0, c);
  int p = std::atoi(hp.substr(c + 1).c_str());
  if (p <= 0 || p > 65535) return false;
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

size_t MaxPeerFrameBytes(const BlockLimits& block) {
  return std::max<uint64_t>(kMaxBlockBatchBytes, 2 * block.max_bytes) + (1 << 20);
}

std::string AttestationDigest(HashAlg alg, uint64_t height, const std::string& block_hash) {
  std::string be(8, '\0');
  for (int i = 7; i >= 0; --i, height >>= 8) be[i] = static_cast<char>(height & 0xff);
  return Hash(alg, "traceledger-attestation" + be + block_hash);
}

struct Node::Impl : public CoreEnv {
  struct Event {
    uint64_t from = 0;
    std::string frame;
  };

  NodeOptions opt;
  std::unique_ptr<NodeCore> core;
  std::unique_ptr<Transport> transport;
  std::thread loop;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Event> events;  // guarded by mu; bounded by kMaxEvents and kMaxEventBytes
  size_t event_bytes = 0;    // guarded by mu: the frames' bytes in `events`
  bool wake = false;         // guarded by mu
  bool stopping = false;     // guarded by mu
  std::atomic<bool> running{false};
  // Set when the loop stopped on a fatal storage error: nothing more is
  // accepted and every wait was answered.
  std::atomic<bool> failed{false};
  static constexpr size_t kMaxEvents = 100000;
  // Received frames waiting for the loop; beyond either bound a frame is
  // dropped (Raft and the node retransmit what matters).
  static constexpr size_t kMaxEventBytes = 256 << 20;

  // CoreEnv.
  int64_t NowMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  bool Send(uint64_t to, std::string frame) override {
    if (!transport) return false;
    size_t size = frame.size();
    bool ok = transport->Send(to, std::move(frame));
    if (!ok && size > MaxPeerFrameBytes(opt.genesis.params.block)) {
      core->Log("dropped a frame of " + std::to_string(size) + " bytes to peer " +
                std::to_string(to) + ": over the peer frame limit");
    }
    return ok;
  }
  bool Connected(uint64_t peer) const override {
    if (!transport) return false;
    for (const auto& s : transport->Stats()) {
      if (s.id == peer) return s.connected;
    }
    return false;
  }
  uint64_t Seed() override { return std::random_device{}(); }

  Status StartTransport() {
    const Genesis& g = opt.genesis;
    uint64_t self = core->raft_id();
    if (g.validators.size() == 1) {
      core->Log("single validator: no peers, the peer port is not opened");
      return Status::OK();
    }
    const ValidatorInfo& me = g.validators[self - 1];
    if (opt.tls_key_pem.empty() || opt.tls_cert_pem.empty()) {
      return Status::Error("TLS_KEY_MISSING",
                           "validator " + me.id +
                               " needs its TLS key and certificate for the "
                               "peer port (node configuration tls_key, tls_cert)");
    }
    auto pin = CertificatePin(opt.tls_cert_pem);
    if (!pin.ok()) return pin.status();
    if (std::find(me.tls_spki_sha256.begin(), me.tls_spki_sha256.end(), *pin) ==
        me.tls_spki_sha256.end()) {
      return Status::Error("TLS_PIN_MISMATCH", "the TLS certificate's pin " + ToHex(*pin) +
                                                   " is not one genesis lists for validator " +
                                                   me.id);
    }
    TransportOptions t;
    t.tls_key_pem = opt.tls_key_pem;
    t.tls_cert_pem = opt.tls_cert_pem;
    t.max_frame_bytes = MaxPeerFrameBytes(g.params.block);
    t.self_id = self;
    uint32_t tag = 0;
    for (int i = 0; i < 4; ++i) tag = (tag << 8) | static_cast<unsigned char>(g.hash[i]);
    t.chain_tag = tag;
    std::string listen = opt.p2p_listen.empty() ? g.validators[self - 1].p2p : opt.p2p_listen;
    if (!SplitHostPort(listen, &t.listen_host, &t.listen_port)) {
      return Status::InvalidArgument("p2p address \"" + listen + "\" is not host:port");
    }
    for (size_t i = 0; i < g.validators.size(); ++i) {
      if (i + 1 == self) continue;
      PeerAddress p;
      p.id = i + 1;
      p.tls_pins = g.validators[i].tls_spki_sha256;
      if (!SplitHostPort(g.validators[i].p2p, &p.host, &p.port)) {
        return Status::InvalidArgument("genesis p2p address of " + g.validators[i].id +
                                       " is not host:port");
      }
      t.peers.push_back(p);
    }
    auto tr = Transport::Start(
        t,
        [this](uint64_t from, std::string frame) {
          std::lock_guard<std::mutex> l(mu);
          if (events.size() < kMaxEvents && event_bytes + frame.size() <= kMaxEventBytes) {
            event_bytes += frame.size();
            events.push_back({from, std::move(frame)});
          }
          cv.notify_one();
        },
        [this](const std::string& s) { core->Log(s); });
    if (!tr.ok()) return tr.status();
    transport = std::move(tr).value();
    core->Log("peer transport listening on " + listen);
    return Status::OK();
  }

  // The loop thread. An exception must not end the process (it would take
  // the API with it, and the operator would see only an abort): it stops the
  // node as a fatal storage error does — logged as FATAL, nothing more is
  // applied or accepted, every wait is answered, /v1/status says "stopped".
  void Run() {
    try {
      Loop();
    } catch (const std::exception& e) {
      Fail(std::string("an unexpected error on the node's loop thread: ") + e.what());
    } catch (...) {
      Fail("an unexpected error on the node's loop thread");
    }
  }

  void Fail(const std::string& why) {
    failed = true;
    try {
      core->Log("FATAL: " + why + "; stopping (this node applies nothing more: restart it)");
      core->CancelWaits();
    } catch (...) {
      // Nothing more can be done on this thread; the API still serves status.
    }
  }

  void Loop() {
    auto tick = std::chrono::milliseconds(opt.tick_ms);
    auto next_tick = std::chrono::steady_clock::now() + tick;
    while (true) {
      std::deque<Event> batch;
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait_until(l, next_tick, [&] { return stopping || wake || !events.empty(); });
        if (stopping) break;
        batch.swap(events);
        event_bytes = 0;
        wake = false;
      }
      for (auto& ev : batch) core->OnFrame(ev.from, ev.frame);
      auto now = std::chrono::steady_clock::now();
      if (now >= next_tick) {
        core->Tick();
        next_tick = now + tick;
      }
      if (!core->Process()) {  // fatal: logged by the core
        failed = true;
        core->CancelWaits();
        return;
      }
    }
  }
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() { Stop(); }

Result<std::unique_ptr<Node>> Node::Open(NodeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->opt = std::move(options);
  auto core = NodeCore::Open(impl->opt, impl.get());
  if (!core.ok()) return core.status();
  impl->core = std::move(core).value();
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Status Node::Start() {
  TL_RETURN_IF_ERROR(impl_->StartTransport());
  impl_->running = true;
  impl_->loop = std::thread([i = impl_.get()] { i->Run(); });
  return Status::OK();
}

void Node::Stop() {
  if (!impl_ || !impl_->running.exchange(false)) return;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->loop.joinable()) impl_->loop.join();
  if (impl_->transport) impl_->transport->Stop();
  impl_->core->CancelWaits();
  impl_->core->Log("stopped");
}

namespace {
Status Stopped(bool failed) {
  return failed ? Status::Error("STOPPED", "the node stopped after a fatal error; see its log")
                : Status::Error("STOPPED", "the node is shutting down");
}
}  // namespace

Status Node::Submit(const Envelope& env) {
  if (!impl_->running || impl_->failed) return Stopped(impl_->failed);
  TL_RETURN_IF_ERROR(impl_->core->Submit(env));
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->wake = true;  // the leader may close a block now
  impl_->cv.notify_one();
  return Status::OK();
}

void Node::WaitForReceipt(const std::string& tx_id, int timeout_ms,
                          std::function<void(Result<TxReceipt>)> done) {
  if (impl_->failed) return done(Stopped(true));
  impl_->core->WaitForReceipt(tx_id, timeout_ms, std::move(done));
  if (impl_->failed) impl_->core->CancelWaits();  // the loop died meanwhile
}
void Node::ReadIndex(int timeout_ms, std::function<void(Status)> done) {
  if (!impl_->running || impl_->failed) return done(Stopped(impl_->failed));
  impl_->core->ReadIndex(timeout_ms, std::move(done));
  if (impl_->failed) impl_->core->CancelWaits();  // the loop died meanwhile
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->wake = true;  // hand the read to Raft now, not at the next tick
  impl_->cv.notify_one();
}
Result<TxReceipt> Node::GetReceipt(const std::string& tx_id) const {
  return impl_->core->GetReceipt(tx_id);
}
NodeStatus Node::GetStatus() const {
  NodeStatus st = impl_->core->GetStatus();
  if (impl_->failed && st.role != "stopped") {  // every fatal path logs; in case one did not
    st.role = "stopped";
    st.leader.clear();
    st.stopped_reason = "the node's loop stopped after a fatal error; see its log";
  }
  if (impl_->transport) st.peer_port = impl_->transport->Counters();
  return st;
}
const Genesis& Node::genesis() const { return impl_->core->genesis(); }
const BlockStore& Node::blocks() const { return impl_->core->blocks(); }
const StateReader& Node::state() const { return impl_->core->state(); }
uint64_t Node::read_generation() const { return impl_->core->read_generation(); }
ReadPoint Node::read_point() const { return impl_->core->read_point(); }
bool Node::ChangesBetween(const ReadPoint& from, const ReadPoint& to,
                          const std::function<void(std::string_view key)>& on_key,
                          const std::function<void(uint64_t height)>& on_attested) const {
  return impl_->core->ChangesBetween(from, to, on_key, on_attested);
}
int64_t Node::latest_block_time() const { return impl_->core->latest_block_time(); }

}  // namespace traceledger::node

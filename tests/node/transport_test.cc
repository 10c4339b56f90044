#include "node/transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ledger/hex.h"
#include "node/config.h"
#include "node/tls_identity.h"
#include "peer_client.h"

namespace traceledger::node {
namespace {

using testing::ConnectTcp;
using testing::Hello;
using testing::Length;
using testing::SendAll;
using testing::TlsClient;

constexpr uint32_t kTag = 0xabcd0123;

// Collects received frames.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<uint64_t, std::string>> frames;
  FrameHandler Handler() {
    return [this](uint64_t from, std::string f) {
      std::lock_guard<std::mutex> l(mu);
      frames.emplace_back(from, std::move(f));
      cv.notify_all();
    };
  }
  bool WaitFor(size_t n, int ms = 5000) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return frames.size() >= n; });
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return frames.size();
  }
};

struct Logs {
  std::mutex mu;
  std::vector<std::string> lines;
  LogFn Fn() {
    return [this](const std::string& s) {
      std::lock_guard<std::mutex> l(mu);
      lines.push_back(s);
    };
  }
  bool Contains(const std::string& needle) { return Count(needle) > 0; }
  int Count(const std::string& needle) {
    std::lock_guard<std::mutex> l(mu);
    int n = 0;
    for (auto& s : lines) n += s.find(needle) != std::string::npos;
    return n;
  }
  std::string All() {
    std::lock_guard<std::mutex> l(mu);
    std::string out;
    for (auto& s : lines) out += s + "\n";
    return out;
  }
};

bool Eventually(const std::function<bool()>& f, int ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}

// Three validators' TLS identities, and transport options wired to them.
struct Net {
  TlsIdentity id[4];  // 1..3
  uint16_t port[4] = {0, FreeLoopbackPort(), FreeLoopbackPort(), FreeLoopbackPort()};
  Net() {
    for (int i = 1; i <= 3; ++i) id[i] = *GenerateTlsIdentity("n" + std::to_string(i));
  }
  // Options for node `self` with the given peers (ids in 1..3).
  TransportOptions Options(uint64_t self, std::vector<uint64_t> peers) const {
    TransportOptions o;
    o.self_id = self;
    o.chain_tag = kTag;
    o.listen_port = port[self];
    for (uint64_t p : peers) o.peers.push_back({p, "127.0.0.1", port[p], {id[p].spki_sha256}});
    o.tls_key_pem = id[self].key_pem;
    o.tls_cert_pem = id[self].cert_pem;
    o.max_frame_bytes = 1 << 16;
    o.reconnect_min_ms = 10;
    o.reconnect_max_ms = 100;
    return o;
  }
};

TEST(Transport, DeliversFramesInOrderBothWaysOverMutualTls) {
  Net net;
  Inbox in1, in2;
  Logs logs1;
  auto t1 = Transport::Start(net.Options(1, {2}), in1.Handler(), logs1.Fn());
  auto t2 = Transport::Start(net.Options(2, {1}), in2.Handler(), nullptr);
  ASSERT_TRUE(t1.ok() && t2.ok()) << t1.status().ToString() << t2.status().ToString();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*t1)->Send(2, "m" + std::to_string(i)));
  ASSERT_TRUE((*t2)->Send(1, "hello"));
  ASSERT_TRUE(in2.WaitFor(100));
  ASSERT_TRUE(in1.WaitFor(1));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(in2.frames[i].first, 1u);
    EXPECT_EQ(in2.frames[i].second, "m" + std::to_string(i));
  }
  EXPECT_EQ(in1.frames[0].second, "hello");
  EXPECT_TRUE(logs1.Contains("connected to peer 2")) << logs1.All();
  EXPECT_TRUE(logs1.Contains("TLS 1.3"));
  EXPECT_FALSE((*t1)->Send(7, "x"));                        // unknown peer
  EXPECT_FALSE((*t1)->Send(2, ""));                         // empty
  EXPECT_FALSE((*t1)->Send(2, std::string(1 << 17, 'x')));  // over the limit
  EXPECT_EQ((*t2)->Counters().authenticated, 1u);
  EXPECT_EQ((*t2)->Counters().rejected, 0u);
}

// A validator may hold a P-256 identity made by other tools, and genesis may
// pin a backup key beside the current one (rotation): either pinned key works.
TEST(Transport, AcceptsP256IdentitiesAndAnyPinnedKeyOfAPeer) {
  Net net;
  TlsIdentity backup = testing::P256Identity();
  ASSERT_EQ(backup.spki_sha256.size(), kTlsPinBytes);
  Inbox in1, in2;
  TransportOptions o1 = net.Options(1, {2}), o2 = net.Options(2, {1});
  o1.peers[0].tls_pins.push_back(backup.spki_sha256);  // genesis: [current, backup]
  o2.tls_key_pem = backup.key_pem;                     // node 2 rotated to its backup
  o2.tls_cert_pem = backup.cert_pem;
  auto t1 = Transport::Start(o1, in1.Handler(), nullptr);
  auto t2 = Transport::Start(o2, in2.Handler(), nullptr);
  ASSERT_TRUE(t1.ok() && t2.ok()) << t1.status().ToString() << t2.status().ToString();
  ASSERT_TRUE((*t1)->Send(2, "to the backup key"));
  ASSERT_TRUE((*t2)->Send(1, "from the backup key"));
  ASSERT_TRUE(in2.WaitFor(1));
  ASSERT_TRUE(in1.WaitFor(1));
  EXPECT_EQ(in1.frames[0].second, "from the backup key");
}

TEST(Transport, RefusesToStartWithoutAUsableIdentity) {
  Net net;
  TransportOptions o = net.Options(1, {2});
  o.tls_key_pem.clear();
  EXPECT_EQ(Transport::Start(o, nullptr, nullptr).status().code(), "TLS_INVALID");
  o = net.Options(1, {2});
  o.tls_key_pem = net.id[2].key_pem;  // not the certificate's key
  EXPECT_EQ(Transport::Start(o, nullptr, nullptr).status().code(), "TLS_INVALID");
  o = net.Options(1, {2});
  o.tls_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(Transport::Start(o, nullptr, nullptr).status().code(), "TLS_INVALID");
}

// Frames are gathered into few writes and cut out of many reads: sizes from
// one byte to many times the read chunk, sent back to back, arrive whole and in
// order.
TEST(Transport, MixedFrameSizesArriveWholeAndInOrder) {
  Net net;
  Inbox in2;
  TransportOptions o1 = net.Options(1, {2}), o2 = net.Options(2, {1});
  o1.max_frame_bytes = o2.max_frame_bytes = 1 << 20;
  auto t1 = Transport::Start(
      o1, [](uint64_t, std::string) {}, nullptr);
  auto t2 = Transport::Start(o2, in2.Handler(), nullptr);
  ASSERT_TRUE(t1.ok() && t2.ok());
  std::vector<std::string> sent;
  const size_t sizes[] = {1, 3, 4, 5, 100, 65535, 65536, 65537, 300000, 1 << 20, 7};
  for (int round = 0; round < 40; ++round) {
    size_t n = sizes[round % (sizeof sizes / sizeof sizes[0])];
    std::string f(n, static_cast<char>('a' + round % 26));
    f[0] = static_cast<char>(round);
    f[n - 1] = static_cast<char>(round + 1);
    sent.push_back(f);
    ASSERT_TRUE((*t1)->Send(2, f));
  }
  for (int i = 0; i < 300; ++i) {  // many small frames: several gathered writes
    sent.push_back("s" + std::to_string(i));
    ASSERT_TRUE((*t1)->Send(2, sent.back()));
  }
  ASSERT_TRUE(in2.WaitFor(sent.size(), 20000));
  ASSERT_EQ(in2.frames.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(in2.frames[i].second, sent[i]) << "frame " << i;
  }
  EXPECT_EQ((*t2)->Stats()[0].received_frames, sent.size());
  // The large frames' buffer was given back (kept up to 4 read chunks).
  EXPECT_TRUE(Eventually([&] { return (*t2)->Counters().buffer_bytes <= (256 << 10) + 4; }))
      << (*t2)->Counters().buffer_bytes;
}

TEST(Transport, QueuesWhilePeerIsDownAndReconnects) {
  Net net;
  Inbox in2;
  auto t1 = Transport::Start(
      net.Options(1, {2}), [](uint64_t, std::string) {}, nullptr);
  ASSERT_TRUE(t1.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*t1)->Send(2, "early" + std::to_string(i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto t2 = Transport::Start(net.Options(2, {1}), in2.Handler(), nullptr);
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(in2.WaitFor(5));
  EXPECT_EQ(in2.frames[4].second, "early4");
  // Restart the receiver: frames sent afterwards still arrive.
  (*t2)->Stop();
  t2 = Transport::Start(net.Options(2, {1}), in2.Handler(), nullptr);
  ASSERT_TRUE(t2.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 3; ++i) (*t1)->Send(2, "late" + std::to_string(i));
  ASSERT_TRUE(in2.WaitFor(8, 10000));
  EXPECT_GT((*t1)->Stats()[0].reconnects, 0u);
}

// Keepalives keep an idle link open; an authenticated peer that sends nothing
// at all is closed at the idle deadline.
TEST(Transport, IdleDeadlineAndKeepalives) {
  Net net;
  Inbox in2;
  TransportOptions o1 = net.Options(1, {2}), o2 = net.Options(2, {1});
  o1.keepalive_ms = o2.keepalive_ms = 50;
  o1.idle_timeout_ms = o2.idle_timeout_ms = 300;
  Logs logs2;
  auto t1 = Transport::Start(
      o1, [](uint64_t, std::string) {}, nullptr);
  auto t2 = Transport::Start(o2, in2.Handler(), logs2.Fn());
  ASSERT_TRUE(t1.ok() && t2.ok());
  ASSERT_TRUE((*t1)->Send(2, "first"));
  ASSERT_TRUE(in2.WaitFor(1));
  uint64_t reconnects = (*t1)->Stats()[0].reconnects;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // idle, > 3 deadlines
  ASSERT_TRUE((*t1)->Send(2, "second"));
  ASSERT_TRUE(in2.WaitFor(2));
  EXPECT_EQ((*t1)->Stats()[0].reconnects, reconnects) << logs2.All();
  EXPECT_EQ(in2.frames[1].second, "second");  // keepalives are not frames
  EXPECT_FALSE(logs2.Contains("nothing received")) << logs2.All();

  // A peer (node 1's own identity, from a test client) that goes silent
  // after its hello.
  TlsClient c(&net.id[1]);
  ASSERT_TRUE(c.Connect(net.port[2])) << c.error();
  ASSERT_TRUE(c.Write(Hello(1, kTag)));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitClosed(3000));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
  EXPECT_TRUE(logs2.Contains("nothing received for 300 ms")) << logs2.All();
}

// What a stranger (or a validator pretending to be another) can send: each
// connection is closed, no frame reaches the handler, and a proper peer still
// gets through afterwards.
TEST(Transport, ConnectionsWithoutAPinnedIdentityAreClosedBeforeAnyFrame) {
  Net net;
  Inbox in1;
  Logs logs;
  TransportOptions o = net.Options(1, {2, 3});
  o.handshake_timeout_ms = 400;
  o.reject_log_interval_ms = 1;  // log every refusal: the test reads the reasons
  auto t1 = Transport::Start(o, in1.Handler(), logs.Fn());
  ASSERT_TRUE(t1.ok());
  uint16_t port = net.port[1];
  TlsIdentity stranger = *GenerateTlsIdentity("stranger");
  std::string frame = Length(2) + "hi";

  struct RawCase {
    const char* name;
    std::string bytes;
  } raw[] = {
      {"the old plaintext hello", std::string("TLP1") + Hello(2, kTag).substr(4) + frame},
      {"a plaintext hello", Hello(2, kTag) + frame},
      {"HTTP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"random bytes", std::string("\x8f\x13\x00\xff\x42\x99\x01\x7e\x00\x00\x10\x33", 12)},
      {"a truncated ClientHello", testing::SampleClientHello().substr(0, 40)},
      {"nothing at all", ""},
  };
  for (const auto& c : raw) {
    int fd = ConnectTcp(port);
    ASSERT_GE(fd, 0);
    SendAll(fd, c.bytes);
    EXPECT_TRUE(testing::WaitClosed(fd, 3000)) << c.name;
    ::close(fd);
  }
  struct TlsCase {
    const char* name;
    const TlsIdentity* id;
    std::string after;  // sent once the handshake is done
    int max_version = 0x0304;
  } tls[] = {
      {"no client certificate", nullptr, Hello(2, kTag) + frame},
      {"an unpinned certificate", &stranger, Hello(2, kTag) + frame},
      {"node 3's identity claiming to be node 2", &net.id[3], Hello(2, kTag) + frame},
      {"node 1's own identity", &net.id[1], Hello(1, kTag) + frame},
      {"node 2 with a bad magic", &net.id[2], Hello(2, kTag, "TLP1") + frame},
      {"node 2 on another chain", &net.id[2], Hello(2, kTag + 1) + frame},
      {"node 2 claiming an unknown id", &net.id[2], Hello(9, kTag) + frame},
      {"node 2, silent after the handshake", &net.id[2], ""},
      {"node 2, half a hello", &net.id[2], Hello(2, kTag).substr(0, 7)},
      {"TLS 1.2 only", &net.id[2], Hello(2, kTag) + frame, 0x0303},
  };
  for (const auto& c : tls) {
    TlsClient client(c.id, c.max_version);
    if (client.Connect(port, 3000)) {
      EXPECT_EQ(client.server_pin(), net.id[1].spki_sha256) << c.name;
      client.Write(c.after);
    }
    EXPECT_TRUE(client.WaitClosed(3000)) << c.name;
  }
  EXPECT_EQ(in1.size(), 0u) << "a frame reached the handler";
  auto counters = (*t1)->Counters();
  EXPECT_EQ(counters.rejected, std::size(raw) + std::size(tls)) << logs.All();
  EXPECT_EQ(counters.authenticated, 0u);
  for (const char* why :
       {"not TLS", "presented no TLS certificate", "is not pinned in genesis",
        "presented the TLS identity of node 3 but claimed to be node 2", "bad magic",
        "runs another chain", "no hello within 400 ms", "no TLS handshake within 400 ms"}) {
    EXPECT_TRUE(logs.Contains(why)) << why << "\n" << logs.All();
  }
  EXPECT_TRUE(Eventually([&] { return (*t1)->Counters().open_pending == 0; }));

  // A proper peer still gets through.
  TlsClient good(&net.id[2]);
  ASSERT_TRUE(good.Connect(port)) << good.error();
  ASSERT_TRUE(good.Write(Hello(2, kTag) + Length(2) + "ok"));
  ASSERT_TRUE(in1.WaitFor(1));
  EXPECT_EQ(in1.frames[0].first, 2u);
  EXPECT_EQ(in1.frames[0].second, "ok");
}

// The dialler checks it reached the validator it meant: a listener at node
// 2's address with another identity (a stranger's, or node 3's, which is
// pinned but for node 3) gets no connection and no frame.
TEST(Transport, DiallerRefusesAListenerWithAnotherIdentity) {
  Net net;
  for (const char* who : {"stranger", "node 3"}) {
    TlsIdentity other = std::string(who) == "node 3" ? net.id[3] : *GenerateTlsIdentity("x");
    Inbox in_impostor;
    Logs logs1;
    TransportOptions oi = net.Options(2, {1});
    oi.tls_key_pem = other.key_pem;
    oi.tls_cert_pem = other.cert_pem;
    auto impostor = Transport::Start(oi, in_impostor.Handler(), nullptr);
    TransportOptions o1 = net.Options(1, {2});
    auto t1 = Transport::Start(
        o1, [](uint64_t, std::string) {}, logs1.Fn());
    ASSERT_TRUE(impostor.ok() && t1.ok());
    ASSERT_TRUE((*t1)->Send(2, "secret"));
    // Let it try for a while (several backoff rounds).
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    EXPECT_FALSE((*t1)->Stats()[0].connected) << who;
    EXPECT_EQ(in_impostor.size(), 0u) << who;
    EXPECT_GT((*t1)->Stats()[0].reconnects, 2u) << who;
    EXPECT_EQ((*impostor)->Counters().authenticated, 0u) << who;
    // And the impostor's own dial to node 1 is refused by node 1's listener.
    EXPECT_EQ((*t1)->Counters().authenticated, 0u) << who;
    (*t1)->Stop();
    (*impostor)->Stop();
    net.port[1] = FreeLoopbackPort();
    net.port[2] = FreeLoopbackPort();
  }
}

// A frame announced large is buffered only as its bytes arrive.
TEST(Transport, AnAnnouncedHugeFrameDoesNotAllocateAhead) {
  Net net;
  Inbox in1;
  TransportOptions o = net.Options(1, {2});
  o.max_frame_bytes = 16 << 20;
  auto t1 = Transport::Start(o, in1.Handler(), nullptr);
  ASSERT_TRUE(t1.ok());
  const uint32_t n = 16 << 20;
  std::string frame(n, 'f');
  frame[n - 1] = 'z';
  TlsClient c(&net.id[2]);
  ASSERT_TRUE(c.Connect(net.port[1])) << c.error();
  ASSERT_TRUE(c.Write(Hello(2, kTag) + Length(n) + frame.substr(0, 1000)));
  ASSERT_TRUE(Eventually([&] { return (*t1)->Counters().open_authenticated == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE((*t1)->Counters().buffer_bytes, 64u << 10);
  ASSERT_TRUE(c.Write(std::string_view(frame).substr(1000, 1 << 20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  size_t held = (*t1)->Counters().buffer_bytes;
  EXPECT_GE(held, 1u << 20);
  EXPECT_LE(held, 2u << 20) << "at most twice what arrived";
  ASSERT_TRUE(c.Write(std::string_view(frame).substr(1000 + (1 << 20))));
  ASSERT_TRUE(in1.WaitFor(1, 10000));
  EXPECT_EQ(in1.frames[0].second, frame);
  EXPECT_TRUE(Eventually([&] { return (*t1)->Counters().buffer_bytes <= (64u << 10); }));

  // Over the limit: closed as soon as the length is read.
  TlsClient big(&net.id[2]);
  ASSERT_TRUE(big.Connect(net.port[1]));
  ASSERT_TRUE(big.Write(Hello(2, kTag) + Length(n + 1)));
  EXPECT_TRUE(big.WaitClosed(3000));
  EXPECT_EQ(in1.size(), 1u);
}

// Connections not yet authenticated are capped per remote address and in
// total; a refused one is closed at once. Authenticated ones are capped per
// validator: a newer connection closes the oldest.
TEST(Transport, CapsInboundConnections) {
  Net net;
  Inbox in1;
  Logs logs;
  TransportOptions o = net.Options(1, {2});
  o.max_pending_per_address = 3;
  o.max_pending_inbound = 5;
  o.max_inbound_per_peer = 2;
  auto t1 = Transport::Start(o, in1.Handler(), logs.Fn());
  ASSERT_TRUE(t1.ok());
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(ConnectTcp(net.port[1], "127.0.0.1"));
  ASSERT_TRUE(Eventually([&] { return (*t1)->Counters().accepted == 5; }));
  EXPECT_EQ((*t1)->Counters().open_pending, 3u);
  EXPECT_EQ((*t1)->Counters().refused, 2u);
  int closed = 0;
  for (int fd : fds) closed += testing::WaitClosed(fd, 200);
  EXPECT_EQ(closed, 2);
  for (int i = 0; i < 3; ++i) fds.push_back(ConnectTcp(net.port[1], "127.0.0.2"));
  ASSERT_TRUE(Eventually([&] { return (*t1)->Counters().accepted == 8; }));
  EXPECT_EQ((*t1)->Counters().open_pending, 5u);  // the total cap
  EXPECT_EQ((*t1)->Counters().refused, 3u);
  EXPECT_TRUE(logs.Contains("are not authenticated yet")) << logs.All();
  for (int fd : fds) ::close(fd);
  ASSERT_TRUE(Eventually([&] { return (*t1)->Counters().open_pending == 0; }));

  std::vector<std::unique_ptr<TlsClient>> peers;
  for (int i = 0; i < 3; ++i) {
    peers.push_back(std::make_unique<TlsClient>(&net.id[2]));
    ASSERT_TRUE(peers.back()->Connect(net.port[1]));
    ASSERT_TRUE(peers.back()->Write(Hello(2, kTag) + Length(1) + std::to_string(i)));
    ASSERT_TRUE(in1.WaitFor(i + 1));
  }
  EXPECT_TRUE(peers[0]->WaitClosed(2000)) << "the oldest connection is replaced";
  EXPECT_FALSE(peers[1]->WaitClosed(100));
  EXPECT_FALSE(peers[2]->WaitClosed(100));
  EXPECT_EQ((*t1)->Counters().open_authenticated, 2u);
}

// Refusals are logged once per remote address per interval, and in all at
// most kRejectLogLines per interval.
TEST(Transport, RefusalsAreLoggedOncePerAddress) {
  Net net;
  Logs logs;
  TransportOptions o = net.Options(1, {2});
  auto t1 = Transport::Start(o, nullptr, logs.Fn());
  ASSERT_TRUE(t1.ok());
  auto garbage = [&](const std::string& from) {
    int fd = ConnectTcp(net.port[1], from);
    SendAll(fd, "garbage garbage garbage\r\n\r\n");
    EXPECT_TRUE(testing::WaitClosed(fd, 3000));
    ::close(fd);
  };
  for (int i = 0; i < 20; ++i) garbage("127.0.0.1");
  EXPECT_EQ(logs.Count("dropped a peer connection"), 1) << logs.All();
  EXPECT_TRUE(logs.Contains("at most one line per address every 60 s"));
  for (int i = 1; i <= 30; ++i) garbage("127.0.1." + std::to_string(i));
  EXPECT_EQ(logs.Count("dropped a peer connection"), kRejectLogLines) << logs.All();
  EXPECT_EQ((*t1)->Counters().rejected, 50u);
  EXPECT_EQ((*t1)->Counters().log_suppressed, 50u - kRejectLogLines);
}

// A handshake must be done within the deadline, however slowly it trickles.
TEST(Transport, SlowHandshakesAreCutAtTheDeadline) {
  Net net;
  TransportOptions o = net.Options(1, {2});
  o.handshake_timeout_ms = 300;
  auto t1 = Transport::Start(o, nullptr, nullptr);
  ASSERT_TRUE(t1.ok());
  std::string hello = testing::SampleClientHello();
  int fd = ConnectTcp(net.port[1]);
  auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  for (size_t i = 0; i < hello.size() && !closed; ++i) {
    if (!SendAll(fd, hello.substr(i, 1))) break;
    closed = testing::WaitClosed(fd, 20);
  }
  if (!closed) closed = testing::WaitClosed(fd, 2000);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(closed);
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LE(took, std::chrono::milliseconds(2000));
  ::close(fd);
  EXPECT_EQ((*t1)->Counters().rejected, 1u);
}

}  // namespace
}  // namespace traceledger::node

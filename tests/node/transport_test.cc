#include "node/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace traceledger::node {
namespace {

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
  bool Contains(const std::string& needle) {
    std::lock_guard<std::mutex> l(mu);
    for (auto& s : lines) {
      if (s.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

// Reserves a free loopback port by binding port 0.
uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

int RawConnect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return fd;
}

TransportOptions Options(uint64_t self, uint16_t port, uint16_t peer_port, uint64_t peer) {
  TransportOptions o;
  o.self_id = self;
  o.chain_tag = 0xabcd0123;
  o.listen_port = port;
  o.peers = {{peer, "127.0.0.1", peer_port}};
  o.max_frame_bytes = 1 << 16;
  o.reconnect_min_ms = 10;
  o.reconnect_max_ms = 100;
  return o;
}

TEST(Transport, DeliversFramesInOrderBothWays) {
  uint16_t p1 = FreePort(), p2 = FreePort();
  Inbox in1, in2;
  auto t1 = Transport::Start(Options(1, p1, p2, 2), in1.Handler(), nullptr);
  auto t2 = Transport::Start(Options(2, p2, p1, 1), in2.Handler(), nullptr);
  ASSERT_TRUE(t1.ok() && t2.ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*t1)->Send(2, "m" + std::to_string(i)));
  ASSERT_TRUE((*t2)->Send(1, "hello"));
  ASSERT_TRUE(in2.WaitFor(100));
  ASSERT_TRUE(in1.WaitFor(1));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(in2.frames[i].first, 1u);
    EXPECT_EQ(in2.frames[i].second, "m" + std::to_string(i));
  }
  EXPECT_EQ(in1.frames[0].second, "hello");
  EXPECT_FALSE((*t1)->Send(7, "x"));                        // unknown peer
  EXPECT_FALSE((*t1)->Send(2, ""));                         // empty
  EXPECT_FALSE((*t1)->Send(2, std::string(1 << 17, 'x')));  // over the limit
}

// Frames are gathered into few writes and cut out of large reads: sizes from
// one byte to many times the read chunk, sent back to back, arrive whole and in
// order.
TEST(Transport, MixedFrameSizesArriveWholeAndInOrder) {
  uint16_t p1 = FreePort(), p2 = FreePort();
  Inbox in2;
  TransportOptions o1 = Options(1, p1, p2, 2), o2 = Options(2, p2, p1, 1);
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
}

TEST(Transport, QueuesWhilePeerIsDownAndReconnects) {
  uint16_t p1 = FreePort(), p2 = FreePort();
  Inbox in2;
  auto t1 = Transport::Start(
      Options(1, p1, p2, 2), [](uint64_t, std::string) {}, nullptr);
  ASSERT_TRUE(t1.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*t1)->Send(2, "early" + std::to_string(i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto t2 = Transport::Start(Options(2, p2, p1, 1), in2.Handler(), nullptr);
  ASSERT_TRUE(t2.ok());
  ASSERT_TRUE(in2.WaitFor(5));
  EXPECT_EQ(in2.frames[4].second, "early4");
  // Restart the receiver: frames sent afterwards still arrive.
  (*t2)->Stop();
  t2 = Transport::Start(Options(2, p2, p1, 1), in2.Handler(), nullptr);
  ASSERT_TRUE(t2.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int i = 0; i < 3; ++i) (*t1)->Send(2, "late" + std::to_string(i));
  ASSERT_TRUE(in2.WaitFor(8, 10000));
  EXPECT_GT((*t1)->Stats()[0].reconnects, 0u);
}

TEST(Transport, StrangersAndGarbageAreDroppedAndLogged) {
  uint16_t p1 = FreePort(), p2 = FreePort();
  Inbox in1;
  Logs logs;
  auto t1 = Transport::Start(Options(1, p1, p2, 2), in1.Handler(), logs.Fn());
  ASSERT_TRUE(t1.ok());
  auto send_raw = [&](const std::string& bytes) {
    int fd = RawConnect(p1);
    send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    close(fd);
  };
  send_raw("GET / HTTP/1.1\r\n\r\n");  // garbage
  std::string hello("TLP1", 4);
  hello += std::string("\0\0\0\0\0\0\0\x09", 8) + std::string("\xab\xcd\x01\x23", 4);
  send_raw(hello + std::string("\0\0\0\x01", 4) + "x");  // unknown node 9
  std::string hello2("TLP1", 4);
  hello2 += std::string("\0\0\0\0\0\0\0\x02", 8) + std::string("\0\0\0\0", 4);
  send_raw(hello2 + std::string("\0\0\0\x01", 4) + "x");  // wrong chain
  std::string good("TLP1", 4);
  good += std::string("\0\0\0\0\0\0\0\x02", 8) + std::string("\xab\xcd\x01\x23", 4);
  send_raw(good + std::string("\x7f\0\0\0", 4));  // frame far over the limit
  EXPECT_TRUE(logs.Contains("bad magic"));
  EXPECT_TRUE(logs.Contains("unknown node id 9"));
  EXPECT_TRUE(logs.Contains("another chain"));
  EXPECT_TRUE(logs.Contains("is outside"));
  EXPECT_TRUE(in1.frames.empty());
  // A proper peer still gets through.
  send_raw(good + std::string("\0\0\0\x02", 4) + "ok");
  ASSERT_TRUE(in1.WaitFor(1));
  EXPECT_EQ(in1.frames[0].second, "ok");
}

}  // namespace
}  // namespace traceledger::node

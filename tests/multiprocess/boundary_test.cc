// The boundary of a real tracenode (issue 13): a node that stopped applying
// says so and never claims to lead; slow clients holding almost-complete
// bodies cannot take its memory; a normal client is served meanwhile.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "assert_ok.h"
#include "cluster.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

using nlohmann::json;

bool Alive(pid_t pid) {
  int st = 0;
  return pid > 0 && ::waitpid(pid, &st, WNOHANG) == 0;
}

// VmRSS of a process, in bytes (0 if unknown).
uint64_t Rss(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// A blocking client socket to `url`'s port from `source` (any 127.x.y.z).
int Connect(const std::string& url, const char* source) {
  int port = std::atoi(url.substr(url.rfind(':') + 1).c_str());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// One request from `source` on its own connection: the status line and body
// of the answer ("" if none came within 2 s).
std::string Exchange(const std::string& url, const char* source, const std::string& request) {
  int fd = Connect(url, source);
  if (fd < 0) return "";
  std::string out;
  if (SendAll(fd, request)) {
    char buf[8192];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  }
  ::close(fd);
  return out;
}

// After a FATAL storage error the process kept serving /v1/status with
// "role":"leader" while another node led a later term. Here the leader's
// files may not grow any more (RLIMIT_FSIZE, set from outside with prlimit:
// every write past it fails with EFBIG, as on a full disk); its next Raft log
// write is fatal. It must then say "stopped" and why, never lead again, and
// keep serving reads while the other two carry on.
TEST(MultiProcessBoundary, ANodeStoppedByAFatalStorageErrorSaysSoAndNeverLeads) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Start(i));
  auto leader = c.WaitForLeader(20000);
  ASSERT_OK(leader.status());
  auto env = c.EnrollEnvelope(1);
  ASSERT_OK(env.status());
  ASSERT_OK(c.SubmitOk(*leader, *env).status());
  auto before = cli::GetJson(c.url(*leader), "/v1/status", 2000);
  ASSERT_OK(before.status());
  const uint64_t term = (*before)["term"];

  // The node's log may grow by 64 KiB more; its Raft log's file by nothing
  // once a 60 KB entry arrives.
  struct stat log_stat {};
  ASSERT_EQ(::stat(c.log_path(*leader).c_str(), &log_stat), 0);
  rlimit lim{static_cast<rlim_t>(log_stat.st_size) + 64 * 1024, RLIM_INFINITY};
  ASSERT_EQ(::prlimit(c.pid(*leader), RLIMIT_FSIZE, &lim, nullptr), 0) << std::strerror(errno);
  auto big = c.Envelope(nullptr, "registry.enroll",
                        {{"uscc", "91330100MA0000099X"}, {"name", std::string(60000, 'x')}});
  ASSERT_OK(big.status());
  cli::SubmitOptions o;
  o.hash = c.alg();
  o.wait_ms = 1000;
  o.deadline_ms = 3000;
  o.max_retries = 0;
  (void)cli::SubmitEnvelope(c.url(*leader), *big, o);  // whatever it answers

  json st;
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    auto s = cli::GetJson(c.url(*leader), "/v1/status", 1000);
    if (s.ok()) st = *s;
    if (st["role"] == "stopped") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(st["role"], "stopped") << st.dump() << "\n" << c.LogTail(*leader);
  EXPECT_TRUE(st["leader"].is_null()) << st.dump();
  ASSERT_TRUE(st["stopped_reason"].is_string()) << st.dump();
  EXPECT_NE(st["stopped_reason"].get<std::string>().find("too large"), std::string::npos)
      << "the reason names the failed write: " << st.dump();
  EXPECT_NE(c.LogTail(*leader).find("FATAL"), std::string::npos) << c.LogTail(*leader);

  // The other two elect a leader in a later term; the stopped node, still
  // running and answering, never claims to lead nor names a leader.
  int other = -1;
  uint64_t new_term = 0;
  deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline && other < 0) {
    for (int i = 0; i < 3; ++i) {
      if (i == *leader) continue;
      auto s = cli::GetJson(c.url(i), "/v1/status", 1000);
      if (s.ok() && (*s)["role"] == "leader") {
        other = i;
        new_term = (*s)["term"];
      }
    }
    auto s = cli::GetJson(c.url(*leader), "/v1/status", 1000);
    ASSERT_OK(s.status());
    EXPECT_EQ((*s)["role"], "stopped");
    EXPECT_TRUE((*s)["leader"].is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(other, 0) << "no new leader among the other two";
  EXPECT_GT(new_term, term);
  auto next = c.EnrollEnvelope(2);
  ASSERT_OK(next.status());
  ASSERT_OK(c.SubmitOk(other, *next).status());
  auto s = cli::GetJson(c.url(*leader), "/v1/status", 1000);
  ASSERT_OK(s.status());
  EXPECT_EQ((*s)["role"], "stopped") << s->dump();
  EXPECT_TRUE(Alive(c.pid(*leader))) << "the stopped node's process is still up";
  // Submissions to it are refused as retryable, naming the stop.
  auto refused = cli::SubmitEnvelope(c.url(*leader), *c.EnrollEnvelope(3), o);
  ASSERT_OK(refused.status());
  EXPECT_EQ(refused->code, "STOPPED") << refused->message;
}

// 256 clients each sending all but the last byte of a 4 MiB body took a node
// from 14 MB to 1,066 MB resident (≈4 GiB at the 1,024-connection cap). Now
// bodies being read hold at most the body budget (64 MiB node-wide, 16 MiB
// per client address; docs/operations.md, "Memory"): the rest are refused
// with 503 BUSY before their bodies are read. Meanwhile a client from another
// address is served at once, and its transaction commits.
TEST(MultiProcessBoundary, AlmostCompleteBodiesCannotTakeTheNodesMemory) {
  TempDir tmp;
  Cluster c(tmp.path(), 0);
  ASSERT_OK(c.Create());
  ASSERT_OK(c.Start(0));
  const pid_t pid = c.pid(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t before = Rss(pid);
  ASSERT_GT(before, 0u);

  constexpr int kClients = 256;
  constexpr size_t kBody = 4 << 20;
  const std::string head =
      "POST /v1/transactions HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(kBody) +
      "\r\n\r\n";
  const std::string body(kBody - 1, ' ');
  std::vector<int> fds(kClients, -1);
  std::atomic<int> sent_all{0};
  auto start = Clock::now();
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t) {
    senders.emplace_back([&, t] {
      for (int i = t; i < kClients; i += 8) {
        fds[i] = Connect(c.url(0), "127.0.0.1");
        if (fds[i] >= 0 && SendAll(fds[i], head) && SendAll(fds[i], body)) ++sent_all;
      }
    });
  }
  for (auto& t : senders) t.join();
  const double attack_s = std::chrono::duration<double>(Clock::now() - start).count();

  // The attack holds its connections. A client from another address:
  const std::string status = Exchange(
      c.url(0), "127.0.0.2", "GET /v1/status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status.rfind("HTTP/1.1 200", 0), 0u) << status.substr(0, 200);
  auto env = c.EnrollEnvelope(1);
  ASSERT_OK(env.status());
  auto t0 = Clock::now();
  const std::string commit =
      Exchange(c.url(0), "127.0.0.2",
               "POST /v1/transactions?wait=commit HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
               "Content-Length: " +
                   std::to_string(env->size()) + "\r\n\r\n" + *env);
  EXPECT_EQ(commit.rfind("HTTP/1.1 200", 0), 0u) << commit.substr(0, 300);
  EXPECT_NE(commit.find("\"status\":\"ok\""), std::string::npos) << commit.substr(0, 300);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3)) << "served promptly during the attack";

  const std::string metrics = Exchange(
      c.url(0), "127.0.0.2", "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  for (const char* m : {"traceledger_http_body_bytes ", "traceledger_http_connections ",
                        "traceledger_http_refused_total{reason=\"busy\"} "}) {
    size_t at = metrics.find(std::string("\n") + m);
    std::printf("%s\n", at == std::string::npos
                            ? m
                            : metrics.substr(at + 1, metrics.find('\n', at + 1) - at - 1).c_str());
  }
  uint64_t peak = 0;
  for (int i = 0; i < 5; ++i) {
    peak = std::max(peak, Rss(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // docs/operations.md: request bodies being read hold at most 64 MiB, and
  // each connection's buffers at most ~48 KiB (1,024 of them: 48 MiB).
  const uint64_t budget = (64 << 20) + (48 << 20);
  std::printf(
      "RSS %.1f MB before, %.1f MB with %d clients holding %d x (4 MiB - 1) "
      "(%d sent it all, %.1f s)\n",
      before / 1e6, peak / 1e6, kClients, kClients, sent_all.load(), attack_s);
  EXPECT_LT(peak, before + budget)
      << "resident " << peak / 1e6 << " MB, " << before / 1e6 << " MB before";
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  EXPECT_TRUE(Alive(pid));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
}

}  // namespace
}  // namespace traceledger::mp

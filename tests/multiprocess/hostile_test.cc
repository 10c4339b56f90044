// The hostile-input suite (issue 13): the table of tests/multiprocess/
// hostile_cases.h sent to a real 3-node network of tracenode processes on
// loopback. For each case: a clear 4xx JSON error with a code (or, for raw
// malformed HTTP, a 400 or a closed connection), never a 5xx; the nodes stay
// up. After the suite: every node answers, its resident memory is within the
// documented budget (docs/operations.md, "Memory"), and a valid transaction
// still commits on every node.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "../api/raw_http.h"
#include "assert_ok.h"
#include "cluster.h"
#include "contracts/ids.h"
#include "hostile_cases.h"
#include "ledger/utf8.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

using nlohmann::json;
using RawResponse = api::testing::RawResponse;

// The server's deadlines for this suite (short, so the cases that meet them
// are quick): tracenode --http-limit.
constexpr int kHeaderTimeoutMs = 1000;
constexpr int kRequestTimeoutMs = 1500;

uint64_t Rss(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

int PortOf(const std::string& url) { return std::atoi(url.substr(url.rfind(':') + 1).c_str()); }

// Sends the case's bytes on a new connection and reads until the server
// closes it, `want` answers are complete, or `ms` pass.
std::vector<RawResponse> Exchange(int port, const std::string& bytes, size_t want, int ms,
                                  bool* closed) {
  *closed = false;
  std::vector<RawResponse> answers;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{0, 100 * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  timeval stv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof stv);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return answers;
  }
  for (size_t off = 0; off < bytes.size();) {  // the server may refuse before reading it all
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string raw;
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (answers.size() < want && Clock::now() < deadline) {
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      *closed = true;
    } else if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
    }
    for (RawResponse r = api::testing::TakeResponse(&raw); r.ok;
         r = api::testing::TakeResponse(&raw)) {
      answers.push_back(r);
    }
    if (*closed) break;
  }
  ::close(fd);
  return answers;
}

// "" if `r` is a JSON error as the case wants, else what is wrong.
std::string CheckError(const HostileCase& c, const RawResponse& r) {
  std::string st = std::to_string(r.status);
  if (c.status != 0 ? r.status != c.status : (r.status < 400 || r.status > 499)) {
    return "status " + st + ": " + SanitizeUtf8(r.body.substr(0, 300));
  }
  if (r.Header("content-type").rfind("application/json", 0) != 0) {
    return "content-type " + r.Header("content-type");
  }
  if (!IsValidUtf8(r.body)) return "the answer is not UTF-8";
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].value("code", json()).is_string() ||
      !j["error"].value("message", json()).is_string()) {
    return "not a JSON error: " + r.body.substr(0, 300);
  }
  std::string code = j["error"]["code"];
  if (!c.codes.empty() && !c.codes.count(code))
    return "code " + code + ": " + r.body.substr(0, 300);
  return "";
}

std::string Check(const HostileCase& c, const std::vector<RawResponse>& answers, bool closed) {
  if (answers.empty()) {
    if (c.or_closed && closed) return "";
    return closed ? "closed without an answer" : "no answer";
  }
  switch (c.shape) {
    case HostileCase::Shape::kError:
      return CheckError(c, answers[0]);
    case HostileCase::Shape::kBatch: {
      const RawResponse& r = answers[0];
      if (r.status != 200)
        return "status " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
      json j = json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j["results"].is_array() || j["results"].empty()) {
        return "not batch results: " + r.body.substr(0, 300);
      }
      const json& first = j["results"][0];
      if (first.value("status", "") != "error") return "not an error: " + first.dump();
      std::string code = first["error"].value("code", "");
      if (!c.codes.count(code)) return "code " + code + ": " + first.dump().substr(0, 300);
      return "";
    }
    case HostileCase::Shape::kPipelined: {
      for (size_t i = 0; i + 1 < answers.size(); ++i) {
        if (answers[i].status >= 500) return "answer " + std::to_string(i) + " is a 5xx";
      }
      if (static_cast<int>(answers.size()) < c.answers) {
        if (c.or_closed && closed && static_cast<int>(answers.size()) == c.answers - 1) return "";
        return std::to_string(answers.size()) + " answers of " + std::to_string(c.answers);
      }
      return CheckError(c, answers.back());
    }
  }
  return "?";
}

TEST(HostileInput, NoCaseStopsANodeOrGetsAnythingButAClear4xx) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  c.set_node_args({"--http-limit", "header_timeout_ms=" + std::to_string(kHeaderTimeoutMs),
                   "--http-limit", "request_timeout_ms=" + std::to_string(kRequestTimeoutMs),
                   "--http-limit", "idle_timeout_ms=3000"});
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Start(i));
  ASSERT_OK(c.WaitForLeader(20000).status());
  std::vector<uint64_t> rss_before;
  for (int i = 0; i < 3; ++i) rss_before.push_back(Rss(c.pid(i)));

  hostile::Context ctx;
  ctx.chain_id = c.chain_id();
  ctx.alg = c.alg();
  ctx.regulator = c.regulator();
  auto valid = c.EnrollEnvelope(1);
  ASSERT_OK(valid.status());
  ctx.valid_envelope = *valid;
  const std::string first17 = "91330100MA0000001";
  ctx.uscc = first17 + UsccCheckChar(first17);
  const std::string sscc17 = "00690123456789012";
  ctx.sscc = sscc17 + std::to_string(Gs1CheckDigit(sscc17));
  const std::vector<HostileCase> cases = hostile::AllCases(ctx);
  std::map<std::string, int> by_class;
  std::set<std::string> names;
  for (const auto& k : cases) {
    ++by_class[k.name.substr(0, k.name.find('/'))];
    EXPECT_TRUE(names.insert(k.name).second) << "two cases named " << k.name;
  }
  ASSERT_GE(cases.size(), 450u);

  auto start = Clock::now();
  std::mutex mu;
  std::vector<std::string> failures;
  std::atomic<size_t> next{0}, ran{0};
  auto run = [&](const HostileCase& k, int node) {
    bool closed = false;
    int ms = k.slow ? kRequestTimeoutMs + 3000 : 5000;
    auto answers =
        Exchange(PortOf(c.url(node)), k.bytes, static_cast<size_t>(k.answers), ms, &closed);
    std::string why = Check(k, answers, closed);
    ++ran;
    if (!why.empty()) {
      std::lock_guard<std::mutex> l(mu);
      failures.push_back(k.name + " (node " + std::to_string(node) + "): " + why);
    }
  };
  // The cases that meet a deadline side by side, then the rest on 4 threads,
  // spread over the three nodes.
  std::vector<std::thread> slow;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].slow) slow.emplace_back(run, std::cref(cases[i]), static_cast<int>(i % 3));
  }
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < cases.size();) {
        if (!cases[i].slow) run(cases[i], static_cast<int>(i % 3));
      }
    });
  }
  for (auto& t : workers) t.join();
  for (auto& t : slow) t.join();
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::string classes;
  for (const auto& [k, n] : by_class) classes += " " + k + " " + std::to_string(n);
  std::printf("hostile input: %zu cases in %.1f s (%s)\n", cases.size(), took, classes.c_str());
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(ran.load(), cases.size());

  // Every node is up, serves, and kept within its memory budget: request
  // bodies being read 64 MiB, connections' buffers 48 MiB (docs/operations.md).
  for (int i = 0; i < 3; ++i) {
    int st = 0;
    ASSERT_EQ(::waitpid(c.pid(i), &st, WNOHANG), 0) << "node " << i << " exited\n" << c.LogTail(i);
    auto s = cli::GetJson(c.url(i), "/v1/status", 2000);
    ASSERT_OK(s.status());
    EXPECT_NE((*s)["role"], "stopped") << s->dump();
    uint64_t rss = Rss(c.pid(i));
    std::printf("node %d: RSS %.1f MB before the suite, %.1f MB after\n", i, rss_before[i] / 1e6,
                rss / 1e6);
    EXPECT_LT(rss, rss_before[i] + (112ull << 20)) << "node " << i;
  }
  // A valid transaction still commits, and every node has it.
  auto leader = c.WaitForLeader(10000);
  ASSERT_OK(leader.status());
  auto env = c.EnrollEnvelope(2);
  ASSERT_OK(env.status());
  auto id = c.SubmitOk(*leader, *env);
  ASSERT_OK(id.status());
  for (int i = 0; i < 3; ++i) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    Result<json> tx = Status::Error("X", "");
    while (Clock::now() < deadline) {
      tx = cli::GetJson(c.url(i), "/v1/transactions/" + *id, 1000);
      if (tx.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(tx.ok()) << "node " << i << ": " << tx.status().ToString();
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.LogTail(i).find("FATAL"), std::string::npos) << c.LogTail(i);
  }
}

}  // namespace
}  // namespace traceledger::mp

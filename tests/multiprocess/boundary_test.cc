// The boundary of a real tracenode (issue 13): a node that stopped applying
// says so and never claims to lead.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "cluster.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

using nlohmann::json;

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    auto _s = (expr);                                       \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

bool Alive(pid_t pid) {
  int st = 0;
  return pid > 0 && ::waitpid(pid, &st, WNOHANG) == 0;
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

}  // namespace
}  // namespace traceledger::mp

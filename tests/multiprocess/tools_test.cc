// tracectl against real nodes: submit (results, exit codes, NO_LEADER retries,
// unreachable nodes) and demo-load on an SM3 chain through a follower.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "assert_ok.h"
#include "cluster.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

std::string WriteEnvelope(Cluster& c, int n, const std::string& name) {
  auto env = c.EnrollEnvelope(n);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  std::string path = c.dir() + "/" + name;
  if (env.ok()) std::ofstream(path) << *env << "\n";
  return path;
}

TEST(MultiProcessTools, SubmitPrintsResultsAndExitCodes) {
  TempDir tmp;
  Cluster c(tmp.path(), 0);
  ASSERT_OK(c.Create());
  ASSERT_OK(c.Start(0));
  ASSERT_TRUE(c.WaitForLeader(20000).ok());
  std::string a = WriteEnvelope(c, 1, "a.json"), b = WriteEnvelope(c, 2, "b.json");
  std::string log = tmp.path() + "/submit.log";
  auto submit = [&](std::vector<std::string> extra, const std::string& out) {
    std::vector<std::string> argv = {TRACECTL_BIN, "submit", "--node", c.url(0)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProgram(argv, out, 30000);
  };
  EXPECT_EQ(submit({"--wait", a, b}, log + "1"), 0) << ReadAll(log + "1");
  std::string out = ReadAll(log + "1");
  EXPECT_NE(out.find("a.json: ok "), std::string::npos) << out;
  EXPECT_NE(out.find("b.json: ok "), std::string::npos) << out;
  // The same envelope again: refused at the door as a duplicate.
  EXPECT_EQ(submit({"--wait", a}, log + "2"), 1);
  EXPECT_NE(ReadAll(log + "2").find("refused DUPLICATE"), std::string::npos) << ReadAll(log + "2");
  // The same enterprise with another key: committed, and rejected by the rules.
  std::string again = WriteEnvelope(c, 1, "again.json");
  EXPECT_EQ(submit({"--wait", again}, log + "3"), 1);
  EXPECT_NE(ReadAll(log + "3").find("rejected "), std::string::npos) << ReadAll(log + "3");
  EXPECT_NE(ReadAll(log + "3").find("ALREADY_ENROLLED"), std::string::npos);
  // Without --wait: accepted and pending, exit 0.
  std::string d = WriteEnvelope(c, 4, "d.json");
  EXPECT_EQ(submit({d}, log + "4"), 0) << ReadAll(log + "4");
  EXPECT_NE(ReadAll(log + "4").find("d.json: pending "), std::string::npos) << ReadAll(log + "4");
  // Garbage: refused with the envelope's error code.
  std::ofstream(tmp.path() + "/junk.json") << "{\"payload\": 1}";
  EXPECT_EQ(submit({"--wait", tmp.path() + "/junk.json"}, log + "5"), 1);
  EXPECT_NE(ReadAll(log + "5").find("junk.json: refused "), std::string::npos)
      << ReadAll(log + "5");
  // Nobody listening: a clear error.
  int rc =
      RunProgram({TRACECTL_BIN, "submit", "--node", "http://127.0.0.1:1", a}, log + "6", 10000);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(ReadAll(log + "6").find("cannot connect to http://127.0.0.1:1"), std::string::npos)
      << ReadAll(log + "6");
}

TEST(MultiProcessTools, SubmitWaitsOutNoLeader) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  ASSERT_OK(c.Start(0));  // alone: no quorum, no leader
  auto st = cli::GetJson(c.url(0), "/v1/status");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE((*st)["leader"].is_null()) << st->dump();
  std::string a = WriteEnvelope(c, 1, "a.json");
  std::string log = tmp.path() + "/submit.log";
  pid_t pid = SpawnProgram({TRACECTL_BIN, "submit", "--node", c.url(0), "--wait", a}, log);
  ASSERT_GT(pid, 0);
  ASSERT_OK(c.Start(1));  // now a majority: a leader is elected and the retry succeeds
  int rc = WaitProgram(pid, 30000);
  EXPECT_EQ(rc, 0) << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("a.json: ok "), std::string::npos) << ReadAll(log);
}

TEST(MultiProcessTools, DemoLoadOnAnSm3ChainThroughAFollower) {
  TempDir tmp;
  Cluster c(tmp.path(), 3, HashAlg::kSm3);
  ASSERT_OK(c.Create());
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Start(i));
  auto leader = c.WaitForLeader(20000);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  int follower = (*leader + 1) % 3;
  std::string log = tmp.path() + "/demo-load.log";
  int rc = RunProgram({TRACECTL_BIN, "demo-load", "--node", c.url(follower), "--regulator",
                       tmp.path() + "/net/regulator.json", "--quiet"},
                      log, 50000);
  ASSERT_EQ(rc, 0) << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("refused as expected"), std::string::npos);
  uint64_t h = c.Height(follower);
  ASSERT_OK(c.WaitForHeight(h, 15000));
  ASSERT_OK(c.CompareBlocks(h));
}

}  // namespace
}  // namespace traceledger::mp

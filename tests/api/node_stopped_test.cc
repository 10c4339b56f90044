// A node that stopped applying says so (issue 13): an exception on the
// node's loop thread ended the process; now it stops the node like a fatal
// storage error, and /v1/status and /metrics say "stopped" and why.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "served_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;
using testing::ExpectError;
using testing::Get;
using testing::Raw;
using testing::RawResponse;
using testing::ServedNodeTest;
using testing::TestNode;

// An exception on the node's loop thread ended the process (std::terminate):
// now the node stops applying, logs FATAL, and its API says so.
TEST(NodeLoop, AnExceptionStopsApplyingButNotTheProcess) {
  auto armed = std::make_shared<std::atomic<bool>>(false);
  auto log = std::make_shared<std::vector<std::string>>();
  auto log_mu = std::make_shared<std::mutex>();
  TestNode node("loop-throws", [=](node::NodeOptions* o) {
    o->compact_every_entries = 1;  // a snapshot (and its log line) after every entry
    o->log = [=](const std::string& line) {
      {
        std::lock_guard<std::mutex> l(*log_mu);
        log->push_back(line);
      }
      if (line.find("snapshot at raft index") != std::string::npos && armed->exchange(false)) {
        throw std::runtime_error("planted failure on the loop thread");
      }
    };
  });
  ASSERT_TRUE(node.ok()) << node.error();
  armed->store(true);
  std::string why;
  node.Enroll("甲企业", {"manufacturer"}, "330100", &why);  // committed, then the snapshot throws
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  json st;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    st = json::parse(node.Call("GET", "/v1/status").body);
  } while (st["role"] != "stopped" && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(st["role"], "stopped") << st.dump();
  EXPECT_TRUE(st["leader"].is_null()) << st.dump();
  EXPECT_NE(st["stopped_reason"].get<std::string>().find("planted failure on the loop thread"),
            std::string::npos)
      << st.dump();
  std::string metrics = node.Call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("traceledger_node_stopped 1"), std::string::npos);
  EXPECT_NE(metrics.find("traceledger_raft_role{role=\"stopped\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("traceledger_raft_role{role=\"leader\"} 0"), std::string::npos);
  int status = 0;
  json r =
      node.Submit(node.regulator(), "registry.enroll", {{"uscc", testing::MakeUscc(99)}}, &status);
  EXPECT_EQ(status, 503) << r.dump();
  EXPECT_EQ(r["error"]["code"], "STOPPED") << r.dump();
  std::lock_guard<std::mutex> l(*log_mu);
  bool fatal = false;
  for (const auto& line : *log)
    fatal = fatal || line.find("FATAL: an unexpected error") != std::string::npos;
  EXPECT_TRUE(fatal) << "the loop's exception is logged as FATAL";
}

}  // namespace
}  // namespace traceledger::api

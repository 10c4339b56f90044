// issue 13, "one enrolled enterprise bricks the network": rejection messages
// that quote client text cut at a byte limit used to end inside a UTF-8
// character; the receipt (a protobuf string) then made the block unreadable on
// every node (500 on GET /v1/blocks/N, an abort on ?wait=commit, no restart,
// verify-chain failing). Real tracenodes on loopback: every node must answer,
// serve the block, restart and pass verify-chain.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "assert_ok.h"
#include "cluster.h"
#include "contracts/ids.h"
#include "ledger/hex.h"
#include "ledger/utf8.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

// n copies of U+7801 码 (3 bytes each).
std::string Cjk(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "\xE7\xA0\x81";
  return s;
}

std::string Uscc(const std::string& first17) { return first17 + UsccCheckChar(first17); }

TEST(MultiProcessText, RejectionsQuotingCjkTextLeaveEveryNodeReadable) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Start(i));
  auto leader = c.WaitForLeader(20000);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int follower = (*leader + 1) % 3;

  auto shipper = GenerateKeyPair();
  ASSERT_TRUE(shipper.ok());
  const std::string uscc = Uscc("91330100MA0000051");
  auto enrol = c.Envelope(nullptr, "registry.enroll",
                          {{"uscc", uscc},
                           {"name", "杭州冷链物流"},
                           {"roles", {"distributor"}},
                           {"public_key", ToHex(shipper->public_key)},
                           {"region", "330100"}});
  ASSERT_TRUE(enrol.ok());
  ASSERT_OK(c.SubmitOk(*leader, *enrol).status());

  nlohmann::json ship = {{"shipment_id", "MP-S1"},
                         {"codes", {"MP-C1"}},
                         {"to", Uscc("91330100MA0000052")},
                         {"carrier", uscc},
                         {"vehicle", "浙A12345"}};
  nlohmann::json bad_code = ship;
  bad_code["codes"] = {Cjk(50)};  // quoted cut at 140 bytes: inside the 47th character
  nlohmann::json unknown = ship;
  unknown[Cjk(22)] = 1;  // named cut at 64 bytes: inside the 22nd character
  struct Case {
    nlohmann::json body;
    int via;
    const char* code;
  };
  std::vector<Case> cases = {{bad_code, *leader, "BAD_CODE"}, {unknown, follower, "BAD_BODY"}};
  std::vector<std::string> ids;
  uint64_t top = 0;
  for (const auto& k : cases) {
    auto env = c.Envelope(&*shipper, "trace.ship", k.body);
    ASSERT_TRUE(env.ok());
    cli::SubmitOptions o;
    o.hash = c.alg();
    o.wait_ms = 5000;
    o.deadline_ms = 30000;
    o.max_retries = 20;
    auto r = cli::SubmitEnvelope(c.url(k.via), *env, o);
    ASSERT_TRUE(r.ok()) << "node " << k.via
                        << " did not answer ?wait=commit: " << r.status().ToString() << "\n"
                        << c.LogTail(k.via);
    EXPECT_EQ(r->kind, cli::SubmitOutcome::kRejected) << r->code << ": " << r->message;
    EXPECT_EQ(r->code, k.code) << r->message;
    EXPECT_TRUE(IsValidUtf8(r->message)) << r->message;
    EXPECT_NE(r->message.find(Cjk(21)), std::string::npos) << r->message;
    ids.push_back(r->tx_id);
    top = std::max<uint64_t>(top, r->height);
  }
  ASSERT_GE(top, 2u);

  // Every node serves the blocks and the receipts.
  auto readable = [&](const std::string& when) {
    for (int i = 0; i < 3; ++i) {
      for (uint64_t h = 0; h <= top; ++h) {
        auto b = cli::GetJson(c.url(i), "/v1/blocks/" + std::to_string(h));
        EXPECT_TRUE(b.ok()) << when << ": node " << i << " block " << h << ": "
                            << b.status().ToString() << "\n"
                            << c.LogTail(i);
      }
      for (const auto& id : ids) {
        auto t = cli::GetJson(c.url(i), "/v1/transactions/" + id);
        ASSERT_TRUE(t.ok()) << when << ": node " << i << " tx " << id << ": "
                            << t.status().ToString() << "\n"
                            << c.LogTail(i);
        EXPECT_EQ((*t)["receipt"]["status"], "rejected");
      }
    }
  };
  ASSERT_OK(c.WaitForHeight(top, 15000));
  readable("before the restart");
  ASSERT_OK(c.CompareBlocks(top));

  // All three restart from their stores.
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Stop(i, SIGTERM));
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Start(i));
  auto again = c.WaitForLeader(20000);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << c.LogTail(0);
  ASSERT_OK(c.WaitForHeight(top, 15000));
  readable("after the restart");

  // verify-chain on the stopped nodes.
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Stop(i, SIGTERM));
  for (int i = 0; i < 3; ++i) {
    std::string log = tmp.path() + "/verify-" + std::to_string(i) + ".log";
    int rc =
        RunProgram({TRACECTL_BIN, "verify-chain", "--data", c.data_dir(i) + "/blocks"}, log, 20000);
    EXPECT_EQ(rc, 0) << ReadAll(log);
    EXPECT_NE(ReadAll(log).find("verify-chain: ok"), std::string::npos) << ReadAll(log);
  }
}

}  // namespace
}  // namespace traceledger::mp

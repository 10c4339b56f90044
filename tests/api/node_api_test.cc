// The HTTP API over a real in-process dev node: submissions, receipts, proofs,
// blocks, status, and every error a client can provoke.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/service.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/merkle.h"
#include "ledger/time_util.h"
#include "node/config.h"
#include "test_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;

// Events happen now: the ledger refuses times too far ahead of block time.
std::string NowRfc3339() {
  return FormatRfc3339Millis(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

class NodeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tl-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    OpenNode();
    regulator_ = *ReadKeyFile(dir_ / "regulator.json");
  }
  void TearDown() override {
    service_.reset();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  void OpenNode() {
    auto cfg = node::PrepareDevNode(dir_.string(), "127.0.0.1:0");
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    cfg->options.tick_ms = 20;
    auto n = node::Node::Open(cfg->options);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    node_ = std::move(n).value();
    Status started = node_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    service_ = std::make_unique<ApiService>(node_.get());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (node_->GetStatus().role != "leader") {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no leader";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    return testing::CallService(*service_, method, target, body);
  }

  std::string Envelope(const KeyPair& key, const std::string& type, const json& body,
                       const std::string& nonce, const std::string& chain = "zj-trace-dev") {
    json payload = {{"chain_id", chain},
                    {"type", type},
                    {"nonce", nonce},
                    {"time", NowRfc3339()},
                    {"body", body}};
    return *SignEnvelope(key.private_key, payload.dump(), HashAlg::kSha256);
  }

  std::string Enroll(const std::string& uscc, const std::string& nonce) {
    KeyPair ent = *GenerateKeyPair();
    return Envelope(regulator_, "registry.enroll",
                    {{"uscc", uscc},
                     {"name", "华东疫苗股份有限公司"},
                     {"roles", {"manufacturer"}},
                     {"public_key", ToHex(ent.public_key)},
                     {"region", "330100"}},
                    nonce);
  }

  std::filesystem::path dir_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<ApiService> service_;
  KeyPair regulator_;
};

TEST_F(NodeApiTest, CommitReceiptProofAndBlocks) {
  HttpResponse r = Call("POST", "/v1/transactions?wait=commit", Enroll("91330100MA2B3C4D5N", "e1"));
  ASSERT_EQ(r.status, 200) << r.body;
  json rec = json::parse(r.body);
  EXPECT_EQ(rec["status"], "ok");
  EXPECT_EQ(rec["height"], 1);
  std::string tx_id = rec["tx_id"];

  // The transaction, with an inclusion proof that checks against its header.
  r = Call("GET", "/v1/transactions/" + tx_id);
  ASSERT_EQ(r.status, 200) << r.body;
  json tx = json::parse(r.body);
  std::vector<std::string> path;
  for (const auto& h : tx["proof"]["path"]) path.push_back(*FromHex(h.get<std::string>()));
  EXPECT_TRUE(VerifyMerkleInclusion(HashAlg::kSha256, tx["proof"]["leaf_index"],
                                    tx["proof"]["tree_size"],
                                    MerkleLeafHash(HashAlg::kSha256, *FromHex(tx_id)), path,
                                    *FromHex(tx["header"]["tx_root"].get<std::string>()))
                  .ok());
  EXPECT_EQ(tx["receipt"]["status"], "ok");
  EXPECT_TRUE(ParseEnvelope(tx["envelope"].dump(), HashAlg::kSha256).ok());

  r = Call("GET", "/v1/blocks/latest");
  ASSERT_EQ(r.status, 200);
  json b = json::parse(r.body);
  EXPECT_EQ(b["height"], 1);
  EXPECT_EQ(b["tx_ids"][0], tx_id);
  EXPECT_EQ(b["attestations"].size(), 1u);
  EXPECT_EQ(b["attestations"][0]["node_id"], "dev");
  EXPECT_EQ(json::parse(Call("GET", "/v1/blocks/0").body)["tx_count"], 0);

  r = Call("GET", "/v1/status");
  json st = json::parse(r.body);
  EXPECT_EQ(st["role"], "leader");
  EXPECT_EQ(st["leader"], "dev");
  EXPECT_EQ(st["height"], 1);
  EXPECT_GE(st["commit_index"], st["applied_index"]);
}

TEST_F(NodeApiTest, ConsistentReadsAnswerLikePlainOnes) {
  HttpResponse r = Call("POST", "/v1/transactions?wait=commit", Enroll("91330100MA2B3C4D5N", "c1"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string tx_id = json::parse(r.body)["tx_id"];
  // On the (single-node) leader a read index is confirmed at once; the answer
  // is the plain read's.
  for (std::string t :
       {"/v1/transactions/" + tx_id, std::string("/v1/blocks/latest"),
        std::string("/v1/enterprises/91330100MA2B3C4D5N"), std::string("/v1/trace/NO-SUCH-CODE"),
        std::string("/v1/alerts"), std::string("/v1/recalls")}) {
    HttpResponse plain = Call("GET", t);
    HttpResponse consistent = Call("GET", t + "?consistent=true&timeout_ms=5000");
    EXPECT_EQ(consistent.status, plain.status) << t;
    EXPECT_EQ(consistent.body, plain.body) << t;
  }
  json st = json::parse(Call("GET", "/v1/status?consistent=true").body);
  EXPECT_GE(st["applied_index"], 1);
  EXPECT_EQ(Call("GET", "/v1/status?consistent=false").status, 200);
  HttpResponse bad = Call("GET", "/v1/status?consistent=yes");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("BAD_QUERY"), std::string::npos);
  // A wait that is not a whole number of milliseconds in 1..30000 is the
  // client's mistake (not a 503 that a client would retry forever).
  for (const char* t : {"abc", "0", "-5", "30001", "1e3", ""}) {
    HttpResponse r = Call("GET", std::string("/v1/blocks/latest?consistent=true&timeout_ms=") + t);
    EXPECT_EQ(r.status, 400) << t;
    EXPECT_NE(r.body.find("BAD_QUERY"), std::string::npos) << t;
  }
  // The same for ?wait=commit, refused before anything is submitted.
  std::string env = Enroll("91330100MA2B3C4D5N", "c-timeout");
  HttpResponse late = Call("POST", "/v1/transactions?wait=commit&timeout_ms=never", env);
  EXPECT_EQ(late.status, 400);
  EXPECT_NE(late.body.find("BAD_QUERY"), std::string::npos);
  // With a good timeout it is submitted and committed (refused by the rules:
  // that USCC is enrolled already).
  EXPECT_EQ(Call("POST", "/v1/transactions?wait=commit&timeout_ms=5000", env).status, 422);
  // Stopped: the retryable answer at once.
  node_->Stop();
  HttpResponse stopped = Call("GET", "/v1/blocks/latest?consistent=true");
  EXPECT_EQ(stopped.status, 503);
  EXPECT_NE(stopped.body.find("STOPPED"), std::string::npos);
}

TEST_F(NodeApiTest, ClientErrorsAreClearAndDistinct) {
  auto code = [](const HttpResponse& r) {
    return json::parse(r.body)["error"]["code"].get<std::string>();
  };
  std::string env = Enroll("91330100MA2B3C4D5N", "e1");
  ASSERT_EQ(Call("POST", "/v1/transactions?wait=commit", env).status, 200);
  HttpResponse r = Call("POST", "/v1/transactions", env);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(code(r), "DUPLICATE");

  r = Call("POST", "/v1/transactions", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "ENVELOPE_MALFORMED_JSON");
  r = Call("POST", "/v1/transactions", R"({"transactions": 5})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "BAD_REQUEST");
  r = Call("POST", "/v1/transactions", R"({"transactions": [)");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "BAD_REQUEST");

  json tampered = json::parse(Enroll("91330100MA2B3C4D5N", "e2"));
  std::string payload = tampered["payload"];
  payload.replace(payload.find("\"e2\""), 4, "\"e3\"");
  tampered["payload"] = payload;
  r = Call("POST", "/v1/transactions", tampered.dump());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code(r), "SIGNATURE_INVALID");

  r = Call("POST", "/v1/transactions",
           Envelope(regulator_, "registry.enroll", json::object(), "w1", "another-chain"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "WRONG_CHAIN");

  // A rule rejects it: an enterprise key cannot enrol enterprises.
  KeyPair stranger = *GenerateKeyPair();
  r = Call("POST", "/v1/transactions?wait=commit",
           Envelope(stranger, "registry.suspend", {{"uscc", "91330100MA2B3C4D5N"}, {"reason", "x"}},
                    "s1"));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["receipt"]["status"], "rejected");

  EXPECT_EQ(Call("GET", "/v1/transactions/xyz").status, 400);
  EXPECT_EQ(Call("GET", "/v1/transactions/" + std::string(64, '0')).status, 404);
  EXPECT_EQ(Call("GET", "/v1/blocks/999").status, 404);
  EXPECT_EQ(Call("GET", "/v1/blocks/-1").status, 400);
  EXPECT_EQ(Call("GET", "/v1/nothing").status, 404);
  EXPECT_EQ(Call("GET", "/v1/transactions").status, 405);
  EXPECT_EQ(Call("DELETE", "/v1/status").status, 405);
}

TEST_F(NodeApiTest, BatchesReportEachEnvelope) {
  json batch = {{"transactions",
                 {json::parse(Enroll("91330100MA2B3C4D5N", "b1")),
                  json::parse(Enroll("91330100MA2B3C4D5N", "b2")), json("not an envelope")}}};
  HttpResponse r = Call("POST", "/v1/transactions?wait=commit", batch.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json res = json::parse(r.body)["results"];
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0]["status"], "ok");
  // The second enrolment of the same USCC is refused by the contracts.
  EXPECT_EQ(res[1]["status"], "rejected");
  EXPECT_EQ(res[1]["code"], "ALREADY_ENROLLED");
  EXPECT_EQ(res[2]["status"], "error");
  json too_many = {{"transactions", json::array()}};
  for (size_t i = 0; i <= kMaxBatch; ++i) too_many["transactions"].push_back(json::object());
  EXPECT_EQ(Call("POST", "/v1/transactions", too_many.dump()).status, 413);
}

TEST_F(NodeApiTest, CommittedTransactionsSurviveARestart) {
  HttpResponse r = Call("POST", "/v1/transactions?wait=commit", Enroll("91330100MA2B3C4D5N", "r1"));
  ASSERT_EQ(r.status, 200);
  std::string tx_id = json::parse(r.body)["tx_id"];
  service_.reset();
  node_.reset();
  OpenNode();
  EXPECT_EQ(Call("GET", "/v1/transactions/" + tx_id).status, 200);
  // The chain goes on from where it was.
  r = Call("POST", "/v1/transactions?wait=commit", Enroll("91330100MA2B3C4D5N", "r2"));
  ASSERT_EQ(r.status, 422) << r.body;  // already enrolled: state survived too
  EXPECT_EQ(json::parse(r.body)["receipt"]["height"], 2);
}

}  // namespace
}  // namespace traceledger::api

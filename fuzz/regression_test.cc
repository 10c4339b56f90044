// Regression tests for what the fuzz targets found (docs/testing.md,
// "Findings"). Each test feeds the input the fuzzer found (also kept in
// fuzz/regression/<target>/, which ctest's fuzz_replay_<target> replays) to
// the function it broke and states the behaviour it must have.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "consensus/codec.h"
#include "genesis/genesis.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/json_parse.h"
#include "node.pb.h"
#include "node/node_core.h"
#include "peer_world.h"
#include "tools/trace_verify.h"

namespace traceledger {
namespace {

using nlohmann::json;
using namespace std::string_literals;

// fuzz/json_fuzz.cc: a NUL byte ended the input for nlohmann's lexer, so JSON
// text followed by a NUL and anything else (here bytes that are not UTF-8)
// was accepted with the rest unread.
TEST(FuzzRegression, JsonTextWithANulByteIsRefused) {
  json doc;
  for (std::string text :
       {"80\0000\x01\xdd\x64G\""s, "{\"payload\":\"x\"}\0\xff\xfe"s, "{}\0"s, "[1,\0 2]"s}) {
    Status s = ParseJson(text, JsonLimits{}, "the input", "X", &doc);
    EXPECT_EQ(s.code(), "X_MALFORMED_JSON") << s.ToString();
    EXPECT_NE(s.message().find("NUL"), std::string::npos) << s.message();
  }
  // Escaped, a NUL is text like any other.
  EXPECT_TRUE(ParseJson("\"a\\u0000b\"", JsonLimits{}, "the input", "X", &doc).ok());
  EXPECT_EQ(doc.get<std::string>(), "a\0b"s);
}

// fuzz/peer_frame_fuzz.cc (fuzz/regression/peer_frame/append-not-contiguous):
// an append whose entries were not index+1, index+2, ... reached the log,
// whose RAFT_ASSERT stopped the node. Such a message is now refused by the
// decoder, as are entries whose terms go down or exceed the leader's.
TEST(FuzzRegression, RaftAppendsOfAnImpossibleShapeAreRefused) {
  auto append = [](uint64_t index, uint64_t log_term, uint64_t term,
                   std::vector<std::pair<uint64_t, uint64_t>> entries) {  // (index, term)
    raft::Message m;
    m.type = raft::MessageType::kApp;
    m.from = 2;
    m.to = 1;
    m.term = term;
    m.log_term = log_term;
    m.index = index;
    for (auto [i, t] : entries) {
      raft::Entry e;
      e.index = i;
      e.term = t;
      m.entries.push_back(e);
    }
    return raft::DecodeMessage(raft::EncodeMessage(m));
  };
  EXPECT_TRUE(append(4, 2, 3, {{5, 2}, {6, 3}}).ok());
  EXPECT_TRUE(append(4, 2, 3, {}).ok());
  EXPECT_FALSE(append(4, 2, 3, {{5, 2}, {7, 3}}).ok()) << "a gap";
  EXPECT_FALSE(append(4, 2, 3, {{4, 2}}).ok()) << "starts at the matched index";
  EXPECT_FALSE(append(4, 2, 3, {{5, 3}, {6, 2}}).ok()) << "terms go down";
  EXPECT_FALSE(append(4, 2, 3, {{5, 1}}).ok()) << "a term before log_term";
  EXPECT_FALSE(append(4, 2, 3, {{5, 4}}).ok()) << "a term after the leader's";
  EXPECT_FALSE(append(4, 5, 3, {}).ok()) << "log_term after the leader's term";
  EXPECT_FALSE(append(UINT64_MAX, 2, 3, {{0, 3}}).ok()) << "beyond the last index";
}

// tools/trace_verify.cc parsed the answer with nlohmann's parser, without a
// depth limit and keeping one of two equal member names. Found while writing
// fuzz/trace_verify_fuzz.cc: {"error": [[[...]]]} 100,000 deep (200 KB)
// overflowed the stack of the recursive dump() in the ANSWER_IS_ERROR message
// (tracectl verify-trace died of SIGSEGV on a hostile file); and an answer
// naming "code" twice verified as either. Both are ANSWER_MALFORMED now
// (fuzz/regression/trace_verify/code-twice is the second).
TEST(FuzzRegression, TraceVerifyRefusesDeepAndAmbiguousAnswers) {
  Genesis g;  // the checks fail before anything of the genesis is used
  std::string deep = "{\"error\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(cli::VerifyTraceAnswer(g, deep).status.code(), "ANSWER_MALFORMED");
  auto twice = cli::VerifyTraceAnswer(g, R"({"code":"A","code":"B","events":[]})");
  EXPECT_EQ(twice.status.code(), "ANSWER_MALFORMED");
  EXPECT_NE(twice.status.message().find("more than once"), std::string::npos)
      << twice.status.message();
}

std::string Data(const std::string& name) {
  std::ifstream f(std::string(TRACELEDGER_FUZZ_DATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// fuzz/trace_verify_fuzz.cc (its oracle, while it was written): the per-code
// and lot chains were committed to by nothing the validators signed, so a real
// answer with another code named, or with an event left out and its chain
// restated, verified. Each receipt now commits to the chains its transaction
// extended (heads_root, ledger/chain_link.h) and each event carries the proof
// of its link. What stays the node's word is that no event follows the last
// one shown: an answer cut after an event verifies, and says so.
TEST(FuzzRegression, TraceVerifyProvesTheCodeAndEachEventsPlaceInItsChain) {
  auto g = ParseGenesis(Data("trace_verify/genesis.json"));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  json real = json::parse(Data("trace_verify/item.json"));
  ASSERT_TRUE(cli::VerifyTraceAnswer(*g, real.dump()).ok());
  ASSERT_EQ(real["events"].back()["type"], "recall.issue");
  ASSERT_GE(real["events"].size(), 3u);

  json renamed = real;
  renamed["code"] = "(01)06901234560121(21)S3";  // S1's history under S3
  EXPECT_EQ(cli::VerifyTraceAnswer(*g, renamed.dump()).status.code(), "HEADS_INCLUSION_INVALID");

  // An event in the middle left out, the chain restated over the rest.
  json middle = real;
  middle["events"].erase(1);
  std::string head(32, '\0');
  for (size_t i = 0; i < middle["events"].size(); ++i) {
    json& e = middle["events"][i];
    e["seq"] = i;
    head = Hash2(g->hash_alg, head, *FromHex(e["tx_id"].get<std::string>()));
    e["chain_head"] = ToHex(head);
  }
  middle["chain"]["event_count"] = middle["events"].size();
  middle["chain"]["events_returned"] = middle["events"].size();
  middle["chain"]["head"] = ToHex(head);
  EXPECT_EQ(cli::VerifyTraceAnswer(*g, middle.dump()).status.code(), "HEADS_INCLUSION_INVALID");

  // The last event (the recall) left out: every event shown is proven; that
  // none follows is the node's word (docs/api.md, "What is proved").
  json cut = real;
  cut["events"].erase(cut["events"].size() - 1);
  cut["chain"]["event_count"] = cut["events"].size();
  cut["chain"]["events_returned"] = cut["events"].size();
  cut["chain"]["head"] = cut["events"].back()["chain_head"];
  auto r = cli::VerifyTraceAnswer(*g, cut.dump());
  EXPECT_TRUE(r.ok() && r.complete) << r.status.ToString();
}

// What a peer's frames could make validator n1 do once it leads (found while
// writing fuzz/peer_frame_fuzz.cc): n1 is elected with the votes of n2, then
// n2 sends Raft messages that only the node itself may issue — a proposal
// (kProp) carrying a block of its own choosing, dated 2500, and a transfer of
// leadership. The node proposes only through its own Raft instance and never
// transfers leadership, so from a peer both are dropped; before, the leader
// appended the proposal, and once the peers acknowledged it every node applied
// a block of the peer's making whose time (max(proposal, previous)) held the
// chain's clock in 2500: every later block, every expiry check.
class FakePeers : public node::CoreEnv {
 public:
  int64_t now = 0;
  std::deque<raft::Message> sent;  // n1's Raft messages, decoded
  int64_t NowMillis() override { return now; }
  bool Send(uint64_t to, std::string frame) override {
    pb::PeerFrame f;
    if (f.ParseFromString(frame) && f.has_raft())
      if (auto m = raft::DecodeMessage(f.raft()); m.ok()) sent.push_back(*m);
    return true;
  }
  uint64_t Seed() override { return 7; }
};

std::string RaftFrame(const raft::Message& m) {
  pb::PeerFrame f;
  f.set_raft(raft::EncodeMessage(m));
  return f.SerializeAsString();
}

TEST(FuzzRegression, APeerCannotProposeOrTransferThroughTheLeader) {
  const fuzz::PeerWorld& w = fuzz::PeerWorld::Get();
  std::string dir =
      (std::filesystem::temp_directory_path() / ("tl-prop-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FakePeers env;
  env.now = w.genesis.genesis_time_ms + 60000;
  auto core = node::NodeCore::Open(w.Options(0, dir), &env);
  ASSERT_TRUE(core.ok()) << core.status().ToString();
  node::NodeCore& n1 = **core;
  // Elect n1: n2 grants its pre-vote and its vote; n2 then acknowledges
  // every append.
  auto answer = [&](const raft::Message& m) {
    raft::Message r;
    r.from = 2;
    r.to = 1;
    r.term = m.term;
    if (m.type == raft::MessageType::kPreVote)
      r.type = raft::MessageType::kPreVoteResp;
    else if (m.type == raft::MessageType::kVote)
      r.type = raft::MessageType::kVoteResp;
    else if (m.type == raft::MessageType::kApp) {
      r.type = raft::MessageType::kAppResp;
      r.index = m.index + m.entries.size();
    } else if (m.type == raft::MessageType::kHeartbeat) {
      r.type = raft::MessageType::kHeartbeatResp;
      r.context = m.context;
    } else {
      return;
    }
    n1.OnFrame(2, RaftFrame(r));
  };
  auto run = [&](int ticks) {
    for (int t = 0; t < ticks; ++t) {
      env.now += 100;
      n1.Tick();
      n1.Process();
      while (!env.sent.empty()) {
        raft::Message m = env.sent.front();
        env.sent.pop_front();
        if (m.to == 2) answer(m);
        n1.Process();
      }
    }
  };
  run(40);
  ASSERT_EQ(n1.GetStatus().role, "leader");
  uint64_t term = n1.GetStatus().term;
  uint64_t height = n1.blocks().block_count();

  pb::BlockProposal forged;
  forged.set_time(16725225600000);  // 2500-01-01
  forged.set_proposer("n2");
  {  // one transaction, signed by a key nobody enrolled: a block is made of it
    KeyPair stranger = fuzz::DerivedKey("stranger");
    std::string payload = R"({"chain_id":")" + w.genesis.chain_id +
                          R"(","type":"trace.ship","nonce":"1","time":"2026-11-30T00:00:00Z",)"
                          R"("body":{}})";
    auto env = ParseEnvelope(*SignEnvelope(stranger.private_key, payload, w.genesis.hash_alg),
                             w.genesis.hash_alg);
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    auto* tx = forged.add_transactions();
    tx->set_payload(env->payload);
    tx->set_signer(env->signer);
    tx->set_signature(env->signature);
  }
  raft::Message prop;
  prop.type = raft::MessageType::kProp;
  prop.from = 2;
  prop.to = 1;
  raft::Entry e;
  e.data = forged.SerializeAsString();
  prop.entries.push_back(e);
  n1.OnFrame(2, RaftFrame(prop));
  raft::Message transfer;
  transfer.type = raft::MessageType::kTransferLeader;
  transfer.from = 2;
  transfer.to = 1;
  transfer.index = 3;  // to n3
  n1.OnFrame(2, RaftFrame(transfer));
  run(20);

  EXPECT_EQ(n1.GetStatus().role, "leader") << "a peer moved the leadership";
  EXPECT_EQ(n1.GetStatus().term, term);
  EXPECT_EQ(n1.blocks().block_count(), height) << "a peer's proposal became a block";
  EXPECT_LT(n1.latest_block_time(), env.now + 3600 * 1000);
  core->reset();
  std::filesystem::remove_all(dir);
}

// fuzz/genesis_fuzz.cc (fuzz/regression/genesis/key-off-curve): a validator
// or regulator key was checked for its form (66 hex, 02/03) but not for being
// a point on secp256k1, so a genesis with a key nobody can sign for loaded.
TEST(FuzzRegression, AGenesisKeyOffTheCurveIsRefused) {
  std::ifstream in(std::string(TRACELEDGER_FUZZ_DATA) + "/../regression/genesis/key-off-curve",
                   std::ios::binary);
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  std::vector<GenesisError> errors;
  auto g = ParseGenesis(text.str(), &errors);
  ASSERT_FALSE(g.ok());
  ASSERT_EQ(errors.size(), 1u) << g.status().ToString();
  EXPECT_EQ(errors[0].path, "$.validators[0].public_key");
  EXPECT_NE(errors[0].message.find("not a point on secp256k1"), std::string::npos)
      << errors[0].message;
}

}  // namespace
}  // namespace traceledger

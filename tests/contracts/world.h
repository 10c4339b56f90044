// A small test world for the contracts: a genesis, an engine, an in-memory
// state, a block clock and helpers to build envelopes in domain words.
#ifndef TRACELEDGER_TESTS_CONTRACTS_WORLD_H_
#define TRACELEDGER_TESTS_CONTRACTS_WORLD_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "contracts/engine.h"
#include "contracts/ids.h"
#include "contracts/state.h"
#include "contracts/store.h"
#include "genesis/genesis.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/keys.h"
#include "ledger/time_util.h"

namespace traceledger::testing {

using nlohmann::json;

// A 33-byte stand-in for a public key (the engine never checks curve points).
inline std::string FakeKey(const std::string& name) {
  // A real public key (the genesis parser checks that keys are points on the
  // curve), derived from a private key that is the name's hash; the contracts
  // never see a signature, so the private key is not kept.
  auto pair = KeyPairFromPrivate(Hash(HashAlg::kSha256, name));
  if (!pair.ok()) std::abort();  // a hash is a valid key but with negligible odds
  return pair->public_key;
}

// A valid USCC built from a number.
inline std::string MakeUscc(uint64_t n) {
  std::string s = "91330100MA";
  std::string digits = std::to_string(n % 10000000);
  s += std::string(7 - digits.size(), '0') + digits;
  return s + UsccCheckChar(s);
}

inline std::string GenesisJson(const std::string& chain_id = "zj-test") {
  return R"({"chain_id": ")" + chain_id + R"(",
    "validators": [{"id": "v1", "public_key": ")" +
         ToHex(FakeKey("validator")) +
         R"(", "p2p": "127.0.0.1:7001", "http": "127.0.0.1:8001"}],
    "regulators": [{"name": "Zhejiang AMR", "public_key": ")" +
         ToHex(FakeKey("regulator")) + R"("}]})";
}

struct Actor {
  std::string key;
  std::string uscc;
};

class World {
 public:
  explicit World(const std::string& chain_id = "zj-test")
      : engine_(MustGenesis(GenesisJson(chain_id))) {
    state_hash = engine_.genesis().hash;
  }

  static Genesis MustGenesis(const std::string& text) {
    auto g = ParseGenesis(text);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.value();
  }

  const std::string regulator = FakeKey("regulator");

  Envelope Tx(const std::string& key, const std::string& type, const json& body,
              int64_t time_ms = -1, const std::string& chain = "") {
    Envelope e;
    e.signer = key;
    e.chain_id = chain.empty() ? engine_.genesis().chain_id : chain;
    e.type = type;
    e.nonce = "n" + std::to_string(++nonce_);
    e.time_ms = time_ms < 0 ? time_ms_ : time_ms;
    e.time = FormatRfc3339Millis(e.time_ms);
    e.body = body;
    e.payload = json{
        {"chain_id", e.chain_id},
        {"type", type},
        {"nonce", e.nonce},
        {"time", e.time},
        {"body",
         body}}.dump();
    e.tx_id = Hash2(HashAlg::kSha256, e.signer, e.payload);
    return e;
  }

  // Executes one block and applies it.
  BlockResult Block(const std::vector<Envelope>& txs, int64_t advance_ms = 1000) {
    time_ms_ += advance_ms;
    BlockContext ctx{++height_, time_ms_, "v1", state_hash};
    BlockResult r = engine_.ExecuteBlock(state, ctx, txs);
    state.Apply(r.writes);
    state_hash = r.state_hash;
    for (const auto& a : r.alerts) alerts.push_back(a);
    return r;
  }

  Receipt Run(const std::string& key, const std::string& type, const json& body) {
    return Block({Tx(key, type, body)}).receipts.at(0);
  }

  Actor Enroll(const std::string& name, std::vector<std::string> roles) {
    Actor a{FakeKey(name), MakeUscc(++enterprises_)};
    Receipt r = Run(regulator, "registry.enroll",
                    {{"uscc", a.uscc},
                     {"name", name},
                     {"roles", roles},
                     {"public_key", ToHex(a.key)},
                     {"region", "330100"}});
    EXPECT_TRUE(r.ok) << r.code << ": " << r.message;
    return a;
  }

  ItemRec Item(const std::string& code) {
    ItemRec it;
    auto v = state.Get(keys::Item(code));
    EXPECT_TRUE(v && Decode(*v, &it)) << "no item " << code;
    return it;
  }
  template <typename R>
  R Rec(const std::string& key) {
    R r;
    auto v = state.Get(key);
    EXPECT_TRUE(v && Decode(*v, &r)) << "no record " << key;
    return r;
  }
  int64_t Counter(const std::string& name) {
    auto v = state.Get(keys::Counter(name));
    return v ? std::stoll(*v) : 0;
  }
  std::string Status(const std::string& code) { return ItemStatusName(Item(code).Status()); }

  // Recomputes a code's chain head from its events.
  std::string HeadFromEvents(const std::string& code) {
    std::string head = ZeroHead();
    state.Scan(keys::EventPrefix(code), [&](std::string_view, std::string_view v) {
      EventRec e;
      EXPECT_TRUE(Decode(v, &e));
      head = NextHead(HashAlg::kSha256, head, e.tx_id);
      return true;
    });
    return head;
  }

  // Recomputes a lot's chain head from its lot events; *n gets their number.
  std::string LotHeadFromEvents(const std::string& product, const std::string& lot,
                                uint32_t* n = nullptr) {
    std::string head = ZeroHead();
    uint32_t count = 0;
    state.Scan(keys::LotEventPrefix(product, lot), [&](std::string_view, std::string_view v) {
      EventRec e;
      EXPECT_TRUE(Decode(v, &e));
      head = NextHead(HashAlg::kSha256, head, e.tx_id);
      ++count;
      return true;
    });
    if (n) *n = count;
    return head;
  }

  int64_t now() const { return time_ms_; }
  void Advance(int64_t ms) { time_ms_ += ms; }
  const Engine& engine() const { return engine_; }
  Engine& mutable_engine() { return engine_; }  // for Engine::SetRuleHookForTesting

  MemState state;
  std::string state_hash;
  std::vector<AlertRec> alerts;

 private:
  Engine engine_;
  uint64_t height_ = 0;
  int64_t time_ms_ = *ParseRfc3339Millis("2026-11-30T08:00:00Z");
  uint64_t nonce_ = 0;
  uint64_t enterprises_ = 0;
};

#define EXPECT_OK(r) EXPECT_TRUE((r).ok) << (r).code << ": " << (r).message
#define EXPECT_REJECTED(r, c) EXPECT_EQ((r).code, c) << (r).message

}  // namespace traceledger::testing

#endif  // TRACELEDGER_TESTS_CONTRACTS_WORLD_H_

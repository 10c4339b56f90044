#include "genesis/genesis.h"

#include <gtest/gtest.h>

#include <string>

#include "ledger/hash.h"

namespace traceledger {
namespace {

const char* kGood = R"({
  "chain_id": "t1", "hash": "sm3",
  "validators": [{"id": "v1", "public_key": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "p2p": "127.0.0.1:7001", "http": "127.0.0.1:8001"}],
  "regulators": [{"name": "reg", "public_key": "02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13"}],
  "params": {"default_shipment_deadline_hours": 24, "max_future_skew_seconds": 60,
             "temperature_profiles": {"vaccine": {"min_c": 2, "max_c": 8}, "deep": {"max_c": -60}},
             "category_profiles": {"vaccine": "vaccine"}}
})";

TEST(Genesis, ParsesAndHashesExactBytes) {
  auto g = ParseGenesis(kGood);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->chain_id, "t1");
  EXPECT_EQ(g->hash_alg, HashAlg::kSm3);
  EXPECT_EQ(g->hash, Hash(HashAlg::kSm3, kGood));
  EXPECT_EQ(g->validators.size(), 1u);
  EXPECT_EQ(g->validators[0].public_key.size(), 33u);
  EXPECT_EQ(g->params.default_shipment_deadline_ms, 24LL * 3600 * 1000);
  EXPECT_EQ(g->params.max_future_skew_ms, 60000);
  EXPECT_EQ(g->params.import_documents.size(), 4u);  // default
  auto r = g->params.CategoryRange("vaccine");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->Contains(5));
  EXPECT_FALSE(r->Contains(8.5));
  EXPECT_FALSE(g->params.CategoryRange("cold_chain_food").has_value());  // replaced map
  // One more byte of whitespace: another genesis hash.
  auto g2 = ParseGenesis(std::string(kGood) + "\n");
  ASSERT_TRUE(g2.ok());
  EXPECT_NE(g2->hash, g->hash);
}

TEST(Genesis, ReportsEveryMistakeWithItsPath) {
  const char* bad = R"({
    "chain_id": "bad id!", "hash": "md5", "colour": 1,
    "validators": [{"id": "v1", "public_key": "04ab", "p2p": "nohost", "http": "127.0.0.1:8001"},
                   {"id": "v1", "public_key": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "p2p": "h:1", "http": "h:2"}],
    "regulators": [],
    "params": {"temperature_profiles": {"vaccine": {"min_c": 9, "max_c": 2}},
               "category_profiles": {"vaccine": "nope", "toys": "vaccine"},
               "import_documents": ["customs declaration"],
               "max_future_skew_seconds": -1,
               "block": {"max_txs": 0, "speed": 1}}
  })";
  std::vector<GenesisError> errors;
  auto g = ParseGenesis(bad, &errors);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), "GENESIS_INVALID");
  std::set<std::string> paths;
  for (const auto& e : errors) paths.insert(e.path);
  for (const char* p :
       {"$.chain_id", "$.hash", "$.colour", "$.validators[0].public_key", "$.validators[0].p2p",
        "$.validators[1].id", "$.regulators", "$.params.temperature_profiles.vaccine",
        "$.params.category_profiles.vaccine", "$.params.category_profiles.toys",
        "$.params.import_documents[0]", "$.params.max_future_skew_seconds",
        "$.params.block.max_txs", "$.params.block.speed"}) {
    EXPECT_TRUE(paths.count(p)) << "missing error for " << p << "\n" << g.status().message();
  }
}

TEST(Genesis, RejectsNonJsonAndMissingMembers) {
  EXPECT_FALSE(ParseGenesis("{").ok());
  EXPECT_FALSE(ParseGenesis("[]").ok());
  std::vector<GenesisError> errors;
  EXPECT_FALSE(ParseGenesis("{}", &errors).ok());
  ASSERT_EQ(errors.size(), 3u);  // chain_id, validators, regulators
  EXPECT_EQ(errors[0].path, "$.chain_id");
  EXPECT_EQ(errors[0].message, "missing");
}

// Hostile genesis texts: each refused with GENESIS_INVALID and a message that
// says what, never a crash or an exception (issue 13).
TEST(Genesis, HostileTextsAreRefusedCleanly) {
  const std::string good = kGood;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  struct Case {
    std::string text;
    const char* says;
  } cases[] = {
      {"", "not valid JSON"},
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {std::string(100000, '[') + std::string(100000, ']'), "nests deeper than 8 levels"},
      {with(R"("chain_id": "t1")", R"("chain_id": "t1", "chain_id": "t2")"),
       "\"chain_id\" more than once (in $)"},
      {with(R"("id": "v1")", R"("id": "v1", "id": "v2")"), "more than once (in $.validators[0])"},
      {with(R"("name": "reg")", "\"name\": \"\xe7\xa0\""), "not valid JSON"},
      {with(R"("chain_id": "t1")", R"("chain_id": 5)"), "$.chain_id: must be a string"},
      {with(R"("chain_id": "t1")", R"("chain_id": "t\u0000")"),
       "$.chain_id: must not contain control characters"},
      {with(R"("name": "reg")", R"("name": "r\u0000g")"),
       "$.regulators[0].name: must not contain control characters"},
      {with(R"("max_future_skew_seconds": 60)", R"("max_future_skew_seconds": 1e400)"),
       "number overflow"},
      {with(R"("max_future_skew_seconds": 60)",
            R"("max_future_skew_seconds": 99999999999999999999999)"),
       "$.params.max_future_skew_seconds: must be an integer"},
      {with(R"("default_shipment_deadline_hours": 24)",
            R"("default_shipment_deadline_hours": -24)"),
       "$.params.default_shipment_deadline_hours: must be in 1..8760"},
      {with(R"("validators": [)", R"("validators": {"a": [)"), "not valid JSON"},
      {with(R"("validators": [)", R"("validators": 7, "v": [)"), "$.validators: must be an array"},
      {with(R"("deep": {"max_c": -60})", R"("d e\"ep": {"max_c": -60})"),
       R"($.params.temperature_profiles["d e\"ep"])"},
      {"[]", "$: must be a JSON object"},
      {"null", "$: must be a JSON object"},
      {"{}", "$.chain_id: missing"},
  };
  for (const auto& c : cases) {
    std::vector<GenesisError> errors;
    auto g = ParseGenesis(c.text, &errors);
    ASSERT_FALSE(g.ok()) << c.text.substr(0, 200);
    EXPECT_EQ(g.status().code(), "GENESIS_INVALID");
    EXPECT_FALSE(errors.empty());
    EXPECT_NE(g.status().message().find(c.says), std::string::npos) << g.status().message();
  }
  std::string too_large = good + std::string(kMaxGenesisBytes, ' ');
  auto g = ParseGenesis(too_large);
  EXPECT_NE(g.status().message().find("the limit is 1048576"), std::string::npos)
      << g.status().message();
}

TEST(Genesis, ExampleFilesLoad) {
  for (const char* f : {"zhejiang-dev.json", "zhejiang-sm3.json"}) {
    auto g = LoadGenesisFile(std::string(TRACELEDGER_SOURCE_DIR) + "/genesis/examples/" + f);
    EXPECT_TRUE(g.ok()) << f << ": " << g.status().ToString();
  }
  EXPECT_EQ(LoadGenesisFile("/nonexistent/genesis.json").status().code(), "IO_ERROR");
}

}  // namespace
}  // namespace traceledger

#include "genesis/genesis_writer.h"
#include "ledger/keys.h"

namespace traceledger {
namespace {

TEST(GenesisWriter, WrittenGenesisLoadsBack) {
  GenesisSpec spec;
  spec.chain_id = "zj-test";
  spec.hash_alg = HashAlg::kSm3;
  spec.genesis_time = "2026-11-30T00:00:00Z";
  for (int i = 1; i <= 3; ++i) {
    KeyPair kp = *GenerateKeyPair();
    std::vector<std::string> pins = {Hash(HashAlg::kSha256, "tls " + std::to_string(i))};
    if (i == 2) pins.push_back(Hash(HashAlg::kSha256, "backup"));  // written as an array
    spec.validators.push_back({"n" + std::to_string(i), kp.public_key,
                               "127.0.0.1:700" + std::to_string(i),
                               "127.0.0.1:800" + std::to_string(i), pins});
  }
  spec.regulators.push_back({"浙江省市场监督管理局", GenerateKeyPair()->public_key});
  std::string text = BuildGenesisJson(spec);
  auto g = ParseGenesis(text);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->chain_id, "zj-test");
  EXPECT_EQ(g->hash_alg, HashAlg::kSm3);
  ASSERT_EQ(g->validators.size(), 3u);
  EXPECT_EQ(g->validators[2].public_key, spec.validators[2].public_key);
  EXPECT_EQ(g->validators[0].tls_spki_sha256, spec.validators[0].tls_spki_sha256);
  EXPECT_EQ(g->validators[1].tls_spki_sha256.size(), 2u);
  EXPECT_EQ(g->validators[1].tls_spki_sha256, spec.validators[1].tls_spki_sha256);
  EXPECT_EQ(g->regulators[0].name, "浙江省市场监督管理局");
  EXPECT_EQ(g->params.block.max_interval_ms, 200u);
  EXPECT_EQ(g->params.import_documents.size(), 4u);
  EXPECT_EQ(g->hash, Hash(HashAlg::kSm3, text));
}

// tls_spki_sha256 (docs/genesis.md): required for every validator of a chain
// with peers, one pin or an array of 1..4, 64 lowercase hex, never shared.
TEST(GenesisTlsPins, RequiredWithPeersAndWellFormed) {
  const std::string a(64, 'a'), b(64, 'b'), c(64, 'c');
  auto doc = [](const std::string& pins1, const std::string& pins2) {
    auto v = [](int i, const std::string& pins) {
      std::string k = i == 1 ? "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                             : "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";
      return R"({"id": "v)" + std::to_string(i) + R"(", "public_key": ")" + k +
             R"(", "p2p": "127.0.0.1:700)" + std::to_string(i) + R"(", "http": "127.0.0.1:800)" +
             std::to_string(i) + "\"" + (pins.empty() ? "" : ", \"tls_spki_sha256\": " + pins) +
             "}";
    };
    return R"({"chain_id": "t", "validators": [)" + v(1, pins1) + ", " + v(2, pins2) +
           R"(], "regulators": [{"name": "r", "public_key": "02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13"}]})";
  };
  auto g = ParseGenesis(doc("\"" + a + "\"", "[\"" + b + "\", \"" + c + "\"]"));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->validators[0].tls_spki_sha256.size(), 1u);
  EXPECT_EQ(g->validators[0].tls_spki_sha256[0], std::string(32, '\xaa'));
  EXPECT_EQ(g->validators[1].tls_spki_sha256.size(), 2u);

  struct Case {
    std::string pins1, pins2, path;
  } cases[] = {
      {"", "\"" + b + "\"", "$.validators[0].tls_spki_sha256"},               // missing
      {"\"" + a + "\"", "\"" + a + "\"", "$.validators[1].tls_spki_sha256"},  // shared
      {"\"" + std::string(64, 'A') + "\"", "\"" + b + "\"", "$.validators[0].tls_spki_sha256"},
      {"\"" + std::string(62, 'a') + "\"", "\"" + b + "\"", "$.validators[0].tls_spki_sha256"},
      {"[]", "\"" + b + "\"", "$.validators[0].tls_spki_sha256"},
      {"[\"" + a + "\", \"" + a + "\"]", "\"" + b + "\"", "$.validators[0].tls_spki_sha256[1]"},
      {"[\"" + a + "\", 7]", "\"" + b + "\"", "$.validators[0].tls_spki_sha256[1]"},
      {"[\"" + a + "\",\"" + b + "\",\"" + c + "\",\"" + std::string(64, 'd') + "\",\"" +
           std::string(64, 'e') + "\"]",
       "\"" + std::string(64, 'f') + "\"", "$.validators[0].tls_spki_sha256"},  // over 4
      {"{}", "\"" + b + "\"", "$.validators[0].tls_spki_sha256"},
  };
  for (const auto& cs : cases) {
    std::vector<GenesisError> errors;
    auto bad = ParseGenesis(doc(cs.pins1, cs.pins2), &errors);
    EXPECT_FALSE(bad.ok()) << cs.pins1 << " / " << cs.pins2;
    ASSERT_EQ(errors.size(), 1u) << bad.status().ToString();
    EXPECT_EQ(errors[0].path, cs.path) << errors[0].message;
  }
  // A chain of one validator has no peer links: the pin is optional there.
  EXPECT_TRUE(ParseGenesis(kGood).ok());
}

}  // namespace
}  // namespace traceledger

#include "ledger/block.h"

#include <gtest/gtest.h>

#include "ledger.pb.h"
#include "ledger/hex.h"
#include "ledger/merkle.h"

namespace traceledger {
namespace {

// 2026-11-30T08:00:00Z in milliseconds.
constexpr int64_t kTime = 1796025600000;

pb::BlockHeader FixedHeader() {
  pb::BlockHeader h;
  h.set_chain_id("traceledger-test");
  h.set_height(7);
  h.set_prev_hash(std::string(32, '\x11'));
  h.set_time(kTime);
  h.set_proposer("n1");
  h.set_raft_term(3);
  h.set_raft_index(42);
  h.set_tx_root(std::string(32, '\x22'));
  h.set_receipts_root(std::string(32, '\x33'));
  h.set_state_hash(std::string(32, '\x44'));
  h.set_tx_count(5);
  return h;
}

// The expected bytes and digests below were produced by an independent
// hand-written protobuf encoder in python3 (hashlib sha256 / sm3). If this
// test fails, the header format changed and with it every block hash: that
// must be a deliberate, documented decision (docs/storage.md).
TEST(Block, HeaderEncodingIsPinned) {
  const pb::BlockHeader h = FixedHeader();
  EXPECT_EQ(ToHex(EncodeHeader(h)),
            "0a1074726163656c65646765722d7465737410071a2011111111111111111111111111111111111111"
            "11111111111111111111111111208090dfdba2342a026e313003382a42202222222222222222222222"
            "2222222222222222222222222222222222222222224a20333333333333333333333333333333333333"
            "33333333333333333333333333335220444444444444444444444444444444444444444444444444"
            "44444444444444445805");
  EXPECT_EQ(ToHex(BlockHash(HashAlg::kSha256, h)),
            "a735d446382e864dc128d677b1afe31069bb396247e167b79547548f394ecd72");
  EXPECT_EQ(ToHex(BlockHash(HashAlg::kSm3, h)),
            "0ff9d0003be68d3df615feafd0e304490924ef59885e0311b49416abaa2c2cac");
}

TEST(Block, ReceiptEncodingIsPinned) {
  pb::Receipt r;
  r.set_tx_id(std::string(32, '\x55'));
  r.set_ok(false);
  r.set_code("NOT_CUSTODIAN");
  r.set_message("not the custodian");
  r.set_height(7);
  r.set_index(2);
  EXPECT_EQ(ToHex(EncodeReceipt(r)),
            "0a2055555555555555555555555555555555555555555555555555555555555555551a0d4e4f545f"
            "435553544f4449414e22116e6f742074686520637573746f6469616e28073002");
  EXPECT_EQ(ToHex(Hash(HashAlg::kSha256, EncodeReceipt(r))),
            "f24fe99d793b1c651ea60ab0335b97254ef11e9110c9c57b16e49bf6025e2825");
  EXPECT_EQ(ToHex(Hash(HashAlg::kSm3, EncodeReceipt(r))),
            "eb174e6d6fdbfc1f5bad84a87f16496e10fcdeb3153b82289930d5fa3dcd616b");
}

// Text fields are protobuf `bytes` (docs/storage.md, "Text fields"): a block
// whose receipt or header holds bytes that are not UTF-8 still parses back,
// byte for byte. (As `string`, the receipt below made its block unreadable.)
TEST(Block, TextFieldsThatAreNotUtf8StillParseBack) {
  pb::Block b;
  *b.mutable_header() = FixedHeader();
  b.mutable_header()->set_proposer("n\xE7\xA0");
  pb::Receipt* r = b.add_receipts();
  r->set_tx_id(std::string(32, '\x55'));
  r->set_code("BAD_CODE");
  r->set_message("body.codes[0]: \"\xE7\xA0\x81\xE7\xA0\" is not a code");  // cut inside 码
  pb::Attestation a;
  a.set_node_id("\xff");
  std::string block_bytes = b.SerializeAsString(), att_bytes = a.SerializeAsString();
  pb::Block back;
  ASSERT_TRUE(back.ParseFromString(block_bytes));
  EXPECT_EQ(back.SerializeAsString(), block_bytes);
  EXPECT_EQ(back.receipts(0).message(), r->message());
  pb::Attestation a2;
  ASSERT_TRUE(a2.ParseFromString(att_bytes));
  EXPECT_EQ(a2.node_id(), "\xff");
}

// Three transactions (signer 02||(i+1)*32, payload {"n":i}), receipt 1
// rejected; roots and block hash from the same python3 model.
pb::Block ThreeTxBlock(HashAlg alg) {
  pb::Block b;
  pb::BlockHeader* h = b.mutable_header();
  h->set_chain_id("traceledger-test");
  h->set_height(9);
  h->set_prev_hash(Hash(alg, "prev"));
  h->set_time(kTime);
  h->set_proposer("n2");
  h->set_raft_term(4);
  h->set_raft_index(100);
  h->set_state_hash(Hash(alg, "state"));
  for (int i = 0; i < 3; ++i) {
    pb::Transaction* tx = b.add_transactions();
    tx->set_signer(std::string(1, '\x02') + std::string(32, static_cast<char>(i + 1)));
    tx->set_payload("{\"n\":" + std::to_string(i) + "}");
    tx->set_signature(std::string(64, '\x01'));
    pb::Receipt* r = b.add_receipts();
    r->set_tx_id(TransactionId(alg, *tx));
    r->set_ok(i != 1);
    if (i == 1) r->set_code("REJECTED");
    r->set_height(9);
    r->set_index(i);
  }
  return b;
}

TEST(Block, SealedBlockIsPinned) {
  struct Want {
    HashAlg alg;
    const char* tx_root;
    const char* receipts_root;
    const char* hash;
  };
  for (const Want& w : {
           Want{HashAlg::kSha256,
                "578f4a3138a4eeb57e5c4a7f838545c4939766d9e47766711e46e187daec0e89",
                "f390f39f8c387e3a20870e877255c6b60c73a64e238d4268a985248cb1dc8a24",
                "e08311fedf3b3970b59ace1650588e0d65a86bdc02d43fb0aa9b41155528ca5d"},
           Want{HashAlg::kSm3, "6cb2e52d31efa5bfc2f990884b9afc822282b70d6ea3542af21c11c573c529a0",
                "2cbbcbf465f4194a807fb51268a0f834272a733cea7e45de8da812c74f6a0420",
                "7c684f6b1e27ccf35c8a52101e3bcdf4db32dd0e29ceb7b7213cf97ec635160c"},
       }) {
    pb::Block b = ThreeTxBlock(w.alg);
    std::string hash = SealBlock(w.alg, &b);
    EXPECT_EQ(ToHex(b.header().tx_root()), w.tx_root);
    EXPECT_EQ(ToHex(b.header().receipts_root()), w.receipts_root);
    EXPECT_EQ(b.header().tx_count(), 3u);
    EXPECT_EQ(ToHex(hash), w.hash);
    EXPECT_EQ(BlockHash(w.alg, b.header()), hash);
    EXPECT_TRUE(CheckBlock(w.alg, b).ok());
  }
}

TEST(Block, EmptyBlockRootsAreEmptyTree) {
  pb::Block b;
  b.mutable_header()->set_prev_hash(std::string(32, '\0'));
  SealBlock(HashAlg::kSha256, &b);
  EXPECT_EQ(b.header().tx_root(), MerkleEmptyRoot(HashAlg::kSha256));
  EXPECT_EQ(b.header().receipts_root(), MerkleEmptyRoot(HashAlg::kSha256));
  EXPECT_TRUE(CheckBlock(HashAlg::kSha256, b).ok());
}

TEST(Block, TxLeafHashesProveInclusion) {
  const HashAlg alg = HashAlg::kSha256;
  pb::Block b = ThreeTxBlock(alg);
  SealBlock(alg, &b);
  std::vector<std::string> leaves = TxLeafHashes(alg, b);
  std::vector<std::string> rleaves = ReceiptLeafHashes(alg, b);
  EXPECT_EQ(TxInclusionProof(alg, b, 3).status().code(), "MERKLE_INDEX_OUT_OF_RANGE");
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    EXPECT_EQ(leaves[i], MerkleLeafHash(alg, TransactionId(alg, b.transactions(i))));
    auto proof = TxInclusionProof(alg, b, i);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(VerifyMerkleInclusion(alg, i, 3, leaves[i], *proof, b.header().tx_root()).ok());
    auto rproof = ReceiptInclusionProof(alg, b, i);
    ASSERT_TRUE(rproof.ok());
    EXPECT_TRUE(
        VerifyMerkleInclusion(alg, i, 3, rleaves[i], *rproof, b.header().receipts_root()).ok());
  }
}

TEST(Block, CheckBlockErrorCodes) {
  const HashAlg alg = HashAlg::kSha256;
  pb::Block good = ThreeTxBlock(alg);
  SealBlock(alg, &good);
  ASSERT_TRUE(CheckBlock(alg, good).ok());

  pb::Block b = good;
  b.mutable_header()->set_tx_count(2);
  EXPECT_EQ(CheckBlock(alg, b).code(), "TX_COUNT_MISMATCH");

  b = good;
  b.mutable_receipts()->RemoveLast();
  EXPECT_EQ(CheckBlock(alg, b).code(), "RECEIPT_COUNT_MISMATCH");

  b = good;
  b.mutable_receipts(1)->set_index(2);
  EXPECT_EQ(CheckBlock(alg, b).code(), "RECEIPT_MISMATCH");
  b = good;
  b.mutable_receipts(1)->set_height(8);
  EXPECT_EQ(CheckBlock(alg, b).code(), "RECEIPT_MISMATCH");
  b = good;
  b.mutable_transactions(0)->set_payload("{\"n\":9}");
  EXPECT_EQ(CheckBlock(alg, b).code(), "RECEIPT_MISMATCH");

  b = good;
  b.mutable_header()->set_tx_root(std::string(32, '\0'));
  EXPECT_EQ(CheckBlock(alg, b).code(), "TX_ROOT_MISMATCH");

  b = good;
  b.mutable_receipts(2)->set_message("changed");
  EXPECT_EQ(CheckBlock(alg, b).code(), "RECEIPTS_ROOT_MISMATCH");

  b = good;
  b.mutable_header()->set_prev_hash("short");
  EXPECT_EQ(CheckBlock(alg, b).code(), "BAD_HASH_LENGTH");
}

TEST(Block, HashDependsOnEveryHeaderField) {
  const pb::BlockHeader base = FixedHeader();
  const std::string h0 = BlockHash(HashAlg::kSha256, base);
  std::vector<pb::BlockHeader> variants(11, base);
  variants[0].set_chain_id("other");
  variants[1].set_height(8);
  variants[2].set_prev_hash(std::string(32, '\x12'));
  variants[3].set_time(kTime + 1);
  variants[4].set_proposer("n2");
  variants[5].set_raft_term(4);
  variants[6].set_raft_index(43);
  variants[7].set_tx_root(std::string(32, '\x23'));
  variants[8].set_receipts_root(std::string(32, '\x34'));
  variants[9].set_state_hash(std::string(32, '\x45'));
  variants[10].set_tx_count(6);
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(BlockHash(HashAlg::kSha256, variants[i]), h0) << "field " << i + 1;
  }
}

}  // namespace
}  // namespace traceledger

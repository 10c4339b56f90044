#include "ledger/chain_verify.h"

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include "chain_test_util.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/block_store.h"
#include "ledger/envelope.h"
#include "ledger/keys.h"

namespace traceledger {
namespace {

using testing_util::GenesisHash;
using testing_util::MakeBlock;
using testing_util::ScratchDir;

// Transactions signed for real, by one of three fixed keys.
testing_util::TxMaker SignedTx(HashAlg alg) {
  return [alg](uint64_t height, int index, pb::Transaction* tx) {
    Result<KeyPair> key = KeyPairFromPrivate(Hash(alg, "key " + std::to_string(index % 3)));
    ASSERT_TRUE(key.ok());
    tx->set_payload("{\"chain_id\":\"traceledger-test\",\"type\":\"trace.ship\",\"nonce\":\"n-" +
                    std::to_string(height) + "-" + std::to_string(index) +
                    "\",\"time\":\"2026-11-30T08:00:00Z\",\"body\":{\"codes\":[\"c" +
                    std::to_string(index) + "\"]}}");
    tx->set_signer(key->public_key);
    Result<std::string> sig = SignDigest(key->private_key, Hash(alg, tx->payload()));
    ASSERT_TRUE(sig.ok());
    tx->set_signature(*sig);
  };
}

class ChainVerifyTest : public ::testing::TestWithParam<HashAlg> {
 protected:
  HashAlg alg() const { return GetParam(); }

  BlockStoreOptions Options() const {
    BlockStoreOptions o;
    o.alg = alg();
    o.genesis_hash = GenesisHash(alg());
    o.sync = false;
    return o;
  }

  // blocks[h] has h % 4 transactions (so block 1 is small: one transaction),
  // and each block has an attestation from n1.
  std::unique_ptr<BlockStore> BuildChain(const std::string& dir, int count) {
    Result<std::unique_ptr<BlockStore>> opened = BlockStore::Open(dir, Options());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    std::unique_ptr<BlockStore> store = std::move(opened).value();
    for (int h = 0; h < count; ++h) {
      pb::Block b = MakeBlock(alg(), h, store->latest_hash(), h % 4, SignedTx(alg()));
      Status s = store->Append(b);
      EXPECT_TRUE(s.ok()) << s.ToString();
      pb::Attestation a;
      a.set_node_id("n1");
      a.set_height(h);
      a.set_block_hash(BlockHash(alg(), b.header()));
      a.set_signature(std::string(64, '\x07'));
      EXPECT_TRUE(store->PutAttestation(a).ok());
    }
    return store;
  }

  // Rewrites block `height` with `change` applied and a valid record checksum.
  void Tamper(BlockStore* store, uint64_t height, const std::function<void(pb::Block*)>& change) {
    pb::Block b;
    ASSERT_TRUE(store->GetBlock(height, &b).ok());
    change(&b);
    const std::string key = storage::BlockKey(height);
    ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeBlock(b))).ok());
  }

  // Rewrites block b's header record to match it, with a valid checksum.
  void RewriteHeaderRecord(BlockStore* store, const pb::Block& b) {
    pb::HeaderRecord r;
    *r.mutable_header() = b.header();
    r.set_block_hash(BlockHash(alg(), b.header()));
    const std::string key = storage::HeaderKey(b.header().height());
    ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeHeaderRecord(r))).ok());
  }

  void ExpectFailure(const BlockStore& store, const char* code, uint64_t height) {
    ChainVerifyReport r = VerifyChain(store);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status.code(), code) << r.status.ToString();
    EXPECT_EQ(r.failed_height, height) << r.status.ToString();
  }
};

INSTANTIATE_TEST_SUITE_P(Hashes, ChainVerifyTest,
                         ::testing::Values(HashAlg::kSha256, HashAlg::kSm3),
                         [](const auto& info) { return std::string(HashAlgName(info.param)); });

TEST_P(ChainVerifyTest, ValidChainVerifies) {
  ScratchDir dir;
  { BuildChain(dir.path(), 6); }
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  ChainVerifyReport r = VerifyChain(
      dir.path(), alg(), [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); });
  ASSERT_TRUE(r.ok()) << r.status.ToString();
  EXPECT_FALSE(r.failed_height.has_value());
  EXPECT_EQ(r.alg, alg());
  EXPECT_EQ(r.blocks, 6u);
  EXPECT_EQ(r.transactions, 0u + 1 + 2 + 3 + 0 + 1);
  EXPECT_EQ(r.attestations, 6u);
  EXPECT_GE(r.seconds, 0.0);
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls.back(), (std::pair<uint64_t, uint64_t>{6, 6}));
  // The store's own hash is used when none is given.
  EXPECT_TRUE(VerifyChain(dir.path(), std::nullopt).ok());
}

TEST_P(ChainVerifyTest, EmptyStoreVerifies) {
  ScratchDir dir;
  { BuildChain(dir.path(), 0); }
  ChainVerifyReport r = VerifyChain(dir.path(), alg());
  EXPECT_TRUE(r.ok()) << r.status.ToString();
  EXPECT_EQ(r.blocks, 0u);
}

TEST_P(ChainVerifyTest, StoreErrorsHaveNoHeight) {
  ScratchDir dir;
  ChainVerifyReport r = VerifyChain(dir.path() + "/absent", alg());
  EXPECT_EQ(r.status.code(), "NOT_FOUND");
  EXPECT_FALSE(r.failed_height.has_value());
  { BuildChain(dir.path(), 1); }
  HashAlg other = alg() == HashAlg::kSha256 ? HashAlg::kSm3 : HashAlg::kSha256;
  r = VerifyChain(dir.path(), other);
  EXPECT_EQ(r.status.code(), "STORE_MISMATCH");
  EXPECT_FALSE(r.failed_height.has_value());
}

// Every single-byte change to a stored block record is detected, at its height.
TEST_P(ChainVerifyTest, EverySingleByteChangeIsDetected) {
  ScratchDir dir;
  auto store = BuildChain(dir.path(), 3);
  const std::string key = storage::BlockKey(1);
  const std::string record = *store->TEST_GetRaw(key);
  ASSERT_GT(record.size(), 200u);  // one signed transaction and its receipt
  std::mt19937 rng(7);
  for (size_t i = 0; i < record.size(); ++i) {
    for (int delta : {0x01, 0x80, 1 + static_cast<int>(rng() % 255)}) {
      std::string bad = record;
      bad[i] = static_cast<char>(bad[i] ^ delta);
      ASSERT_TRUE(store->TEST_PutRaw(key, bad).ok());
      ChainVerifyReport r = VerifyChain(*store);
      ASSERT_FALSE(r.ok()) << "byte " << i << " ^ " << delta;
      EXPECT_EQ(r.failed_height, 1u) << "byte " << i;
      EXPECT_EQ(r.status.code(), "CORRUPTION") << "byte " << i;
    }
  }
  ASSERT_TRUE(store->TEST_PutRaw(key, record).ok());
  EXPECT_TRUE(VerifyChain(*store).ok());
}

// Stronger: every single-byte change to the block's encoding, re-wrapped with
// a valid record checksum, is still detected at its height (by the canonical
// form, the header hash, the roots or a signature).
TEST_P(ChainVerifyTest, EveryByteChangeBehindAValidChecksumIsDetected) {
  // Flipped bytes in string fields make protobuf log "invalid UTF-8" before
  // the parse fails; keep the test output readable.
  google::protobuf::LogSilencer quiet;
  ScratchDir dir;
  auto store = BuildChain(dir.path(), 3);
  pb::Block block;
  ASSERT_TRUE(store->GetBlock(1, &block).ok());
  const std::string payload = EncodeBlock(block);
  const std::string key = storage::BlockKey(1);
  std::set<std::string> codes;
  for (size_t i = 0; i < payload.size(); ++i) {
    for (int delta : {0x01, 0x80}) {
      std::string bad = payload;
      bad[i] = static_cast<char>(bad[i] ^ delta);
      ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, bad)).ok());
      ChainVerifyReport r = VerifyChain(*store);
      ASSERT_FALSE(r.ok()) << "byte " << i << " ^ " << delta;
      EXPECT_EQ(r.failed_height, 1u) << "byte " << i << ": " << r.status.ToString();
      codes.insert(r.status.code());
    }
  }
  // The failures come from several independent checks, not one catch-all.
  EXPECT_TRUE(codes.count("CORRUPTION"));
  EXPECT_TRUE(codes.count("HASH_INDEX_MISMATCH"));
  EXPECT_TRUE(codes.count("RECEIPT_MISMATCH"));
  EXPECT_TRUE(codes.count("RECEIPTS_ROOT_MISMATCH"));
  EXPECT_TRUE(codes.count("SIGNATURE_INVALID") || codes.count("SIGNATURE_MALFORMED"));
}

TEST_P(ChainVerifyTest, SemanticTampersWithValidChecksums) {
  struct Case {
    const char* name;
    std::function<void(pb::Block*)> change;
    const char* code;
  };
  const HashAlg a = alg();
  const std::vector<Case> cases = {
      {"header field", [](pb::Block* b) { b->mutable_header()->set_proposer("evil"); },
       "HASH_INDEX_MISMATCH"},
      {"header time", [](pb::Block* b) { b->mutable_header()->set_time(b->header().time() + 1); },
       "HASH_INDEX_MISMATCH"},
      {"state hash",
       [](pb::Block* b) { b->mutable_header()->set_state_hash(std::string(32, 'x')); },
       "HASH_INDEX_MISMATCH"},
      {"tx count", [](pb::Block* b) { b->mutable_header()->set_tx_count(9); }, "TX_COUNT_MISMATCH"},
      {"tx payload",
       [](pb::Block* b) {
         std::string p = b->transactions(1).payload();
         p[p.size() - 4] = 'X';
         b->mutable_transactions(1)->set_payload(p);
       },
       "RECEIPT_MISMATCH"},
      {"tx payload with receipts and roots redone",
       [a](pb::Block* b) {
         b->mutable_transactions(1)->set_payload(b->transactions(1).payload() + " ");
         b->mutable_receipts(1)->set_tx_id(TransactionId(a, b->transactions(1)));
         SealBlock(a, b);
       },
       "HASH_INDEX_MISMATCH"},
      {"signature",
       [](pb::Block* b) {
         std::string sig = b->transactions(0).signature();
         sig[10] ^= 1;
         b->mutable_transactions(0)->set_signature(sig);
       },
       "SIGNATURE_INVALID"},
      {"signer swapped",
       [](pb::Block* b) {
         // Reordering transactions breaks the receipts that name them.
         std::swap(*b->mutable_transactions(0), *b->mutable_transactions(1));
       },
       "RECEIPT_MISMATCH"},
      {"receipt status", [](pb::Block* b) { b->mutable_receipts(1)->set_ok(true); },
       "RECEIPTS_ROOT_MISMATCH"},
      {"receipt message", [](pb::Block* b) { b->mutable_receipts(0)->set_message("all fine"); },
       "RECEIPTS_ROOT_MISMATCH"},
      {"transaction removed",
       [](pb::Block* b) {
         b->mutable_transactions()->RemoveLast();
         b->mutable_receipts()->RemoveLast();
       },
       "TX_COUNT_MISMATCH"},
  };
  for (const Case& c : cases) {
    ScratchDir dir;
    auto store = BuildChain(dir.path(), 4);
    Tamper(store.get(), 2, c.change);
    SCOPED_TRACE(c.name);
    ExpectFailure(*store, c.code, 2);
  }
}

TEST_P(ChainVerifyTest, SignatureCheckedEvenWhenEverythingElseIsConsistent) {
  ScratchDir dir;
  auto store = BuildChain(dir.path(), 2);
  // A block whose transaction carries another key's valid-looking signature,
  // sealed correctly and appended through the front door.
  pb::Block b = MakeBlock(alg(), 2, store->latest_hash(), 2, SignedTx(alg()));
  b.mutable_transactions(1)->set_signature(b.transactions(0).signature());
  SealBlock(alg(), &b);
  ASSERT_TRUE(store->Append(b).ok());
  ExpectFailure(*store, "SIGNATURE_INVALID", 2);
}

TEST_P(ChainVerifyTest, RelinkedChainIsCaught) {
  // The attacker changes block 1's header and also fixes the hash index.
  ScratchDir dir;
  auto store = BuildChain(dir.path(), 4);
  pb::Block b;
  ASSERT_TRUE(store->GetBlock(1, &b).ok());
  Tamper(store.get(), 1, [](pb::Block* blk) { blk->mutable_header()->set_proposer("evil"); });
  ASSERT_TRUE(store->GetBlock(1, &b).ok());
  const std::string hkey = storage::HashKey(BlockHash(alg(), b.header()));
  std::string one(8, '\0');
  one[7] = 1;
  ASSERT_TRUE(store->TEST_PutRaw(hkey, storage::EncodeRecord(hkey, one)).ok());
  // The header record still holds the original header...
  ExpectFailure(*store, "HEADER_RECORD_MISMATCH", 1);
  RewriteHeaderRecord(store.get(), b);
  // ...n1's attestation of block 1 names the original hash...
  ExpectFailure(*store, "ATTESTATION_HASH_MISMATCH", 1);
  // ...and without it, block 2 still links to the original.
  ASSERT_TRUE(store->TEST_DeleteRaw(storage::AttestationKey(1, "n1")).ok());
  ExpectFailure(*store, "BAD_PREV_HASH", 2);
}

TEST_P(ChainVerifyTest, TamperedTipIsCaughtByLatestPointerAndAttestations) {
  ScratchDir dir;
  auto store = BuildChain(dir.path(), 3);
  Tamper(store.get(), 2, [](pb::Block* blk) { blk->mutable_header()->set_proposer("evil"); });
  pb::Block b;
  ASSERT_TRUE(store->GetBlock(2, &b).ok());
  const std::string new_hash = BlockHash(alg(), b.header());
  const std::string hkey = storage::HashKey(new_hash);
  std::string two(8, '\0');
  two[7] = 2;
  ASSERT_TRUE(store->TEST_PutRaw(hkey, storage::EncodeRecord(hkey, two)).ok());
  ExpectFailure(*store, "HEADER_RECORD_MISMATCH", 2);
  RewriteHeaderRecord(store.get(), b);
  // The stored attestation still names the original hash.
  ExpectFailure(*store, "ATTESTATION_HASH_MISMATCH", 2);
  // Without attestations, the latest pointer still names the original.
  ASSERT_TRUE(store->TEST_DeleteRaw(storage::AttestationKey(2, "n1")).ok());
  ExpectFailure(*store, "LATEST_MISMATCH", 2);
}

TEST_P(ChainVerifyTest, IndexAndRecordDamage) {
  {
    ScratchDir dir;
    auto store = BuildChain(dir.path(), 4);
    ASSERT_TRUE(store->TEST_DeleteRaw(storage::BlockKey(1)).ok());
    ExpectFailure(*store, "BLOCK_MISSING", 1);
  }
  {
    // A tx index entry pointing elsewhere.
    ScratchDir dir;
    auto store = BuildChain(dir.path(), 4);
    pb::Block b;
    ASSERT_TRUE(store->GetBlock(3, &b).ok());
    const std::string tkey = storage::TxKey(TransactionId(alg(), b.transactions(2)));
    std::string loc(12, '\0');
    loc[7] = 3;
    loc[11] = 1;  // (3, 1): another transaction
    ASSERT_TRUE(store->TEST_PutRaw(tkey, storage::EncodeRecord(tkey, loc)).ok());
    ExpectFailure(*store, "TX_INDEX_MISMATCH", 3);
    ASSERT_TRUE(store->TEST_DeleteRaw(tkey).ok());
    ExpectFailure(*store, "TX_INDEX_MISMATCH", 3);
  }
  {
    // A block record that carries an unknown field (non-canonical).
    ScratchDir dir;
    auto store = BuildChain(dir.path(), 3);
    pb::Block b;
    ASSERT_TRUE(store->GetBlock(1, &b).ok());
    const std::string key = storage::BlockKey(1);
    const std::string payload = EncodeBlock(b) + std::string("\xf8\x01\x01", 3);  // field 31
    ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, payload)).ok());
    ExpectFailure(*store, "CORRUPTION", 1);
  }
  {
    // A block record stored under another height.
    ScratchDir dir;
    auto store = BuildChain(dir.path(), 3);
    pb::Block b;
    ASSERT_TRUE(store->GetBlock(2, &b).ok());
    const std::string key = storage::BlockKey(1);
    ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeBlock(b))).ok());
    ExpectFailure(*store, "CORRUPTION", 1);
  }
  {
    // A block after the latest pointer (offline check).
    ScratchDir dir;
    {
      auto store = BuildChain(dir.path(), 2);
      pb::Block b = MakeBlock(alg(), 2, store->latest_hash(), 1, SignedTx(alg()));
      const std::string key = storage::BlockKey(2);
      ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeBlock(b))).ok());
    }
    ChainVerifyReport r = VerifyChain(dir.path(), alg());
    EXPECT_EQ(r.status.code(), "EXTRA_BLOCK");
    EXPECT_EQ(r.failed_height, 2u);
  }
}

TEST_P(ChainVerifyTest, DamagedHeaderAndTransactionRecordsAreReported) {
  ScratchDir dir;
  auto store = BuildChain(dir.path(), 4);  // block 3 has 3 transactions
  ASSERT_TRUE(VerifyChain(*store).ok());
  const std::string key = storage::TxRecordKey(3, 1);
  const std::string good = *store->TEST_GetRaw(key);
  std::string payload;
  ASSERT_TRUE(storage::DecodeRecord(key, good, &payload).ok());
  pb::TxRecord rec;
  ASSERT_TRUE(rec.ParseFromString(payload));
  auto rewrap = [&](const pb::TxRecord& r) {
    ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeTxRecord(r))).ok());
  };
  {
    // A flipped byte: the record checksum.
    std::string bad = good;
    bad[bad.size() / 2] ^= 0x01;
    ASSERT_TRUE(store->TEST_PutRaw(key, bad).ok());
    ExpectFailure(*store, "CORRUPTION", 3);
  }
  {
    // A path hash changed behind a valid checksum.
    pb::TxRecord r = rec;
    std::string h = r.tx_path(0);
    h[0] ^= 0x01;
    r.set_tx_path(0, h);
    rewrap(r);
    ExpectFailure(*store, "TX_RECORD_MISMATCH", 3);
  }
  {
    // A receipt path with one hash too few.
    pb::TxRecord r = rec;
    r.mutable_receipt_path()->RemoveLast();
    rewrap(r);
    ExpectFailure(*store, "TX_RECORD_MISMATCH", 3);
  }
  {
    // A receipt message changed behind a valid checksum.
    pb::TxRecord r = rec;
    r.mutable_receipt()->set_message("all fine");
    rewrap(r);
    ExpectFailure(*store, "TX_RECORD_MISMATCH", 3);
  }
  ASSERT_TRUE(store->TEST_DeleteRaw(key).ok());
  ExpectFailure(*store, "CORRUPTION", 3);
  ASSERT_TRUE(store->TEST_PutRaw(key, good).ok());
  ASSERT_TRUE(VerifyChain(*store).ok());
  {
    // A record past the block's last transaction.
    const std::string extra = storage::TxRecordKey(3, 3);
    pb::TxRecord r = rec;
    r.set_index(3);
    r.set_tree_size(4);
    r.mutable_receipt()->set_index(3);
    ASSERT_TRUE(store->TEST_PutRaw(extra, storage::EncodeRecord(extra, EncodeTxRecord(r))).ok());
    ExpectFailure(*store, "TX_RECORD_MISMATCH", 3);
    ASSERT_TRUE(store->TEST_DeleteRaw(extra).ok());
  }
  {
    // A header record re-sealed over a changed state hash.
    const std::string hkey = storage::HeaderKey(2);
    ASSERT_TRUE(storage::DecodeRecord(hkey, *store->TEST_GetRaw(hkey), &payload).ok());
    pb::HeaderRecord hr;
    ASSERT_TRUE(hr.ParseFromString(payload));
    hr.mutable_header()->set_state_hash(std::string(32, 's'));
    hr.set_block_hash(BlockHash(alg(), hr.header()));
    ASSERT_TRUE(store->TEST_PutRaw(hkey, storage::EncodeRecord(hkey, EncodeHeaderRecord(hr))).ok());
    ExpectFailure(*store, "HEADER_RECORD_MISMATCH", 2);
  }
}

TEST_P(ChainVerifyTest, OnDiskFileCorruptionIsReported) {
  ScratchDir dir;
  {
    auto store = BuildChain(dir.path(), 12);
    store->TEST_CompactAll();
  }
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".ldb") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.write("\xde\xad\xbe\xef", 4);
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  ChainVerifyReport r = VerifyChain(dir.path(), alg());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status.code(), "CORRUPTION") << r.status.ToString();
}

TEST(ChainVerify, TransactionIdMatchesEnvelopeTxId) {
  pb::Transaction tx;
  testing_util::FakeTx(1, 2, &tx);
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    EXPECT_EQ(TransactionId(alg, tx), TxId(alg, tx.signer(), tx.payload()));
  }
}

}  // namespace
}  // namespace traceledger

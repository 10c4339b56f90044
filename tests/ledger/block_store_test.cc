#include "ledger/block_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "chain_test_util.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/hex.h"
#include "ledger/merkle.h"

namespace traceledger {
namespace {

using testing_util::GenesisHash;
using testing_util::MakeBlock;
using testing_util::ScratchDir;

constexpr HashAlg kAlg = HashAlg::kSha256;

BlockStoreOptions Options(HashAlg alg = kAlg) {
  BlockStoreOptions o;
  o.alg = alg;
  o.genesis_hash = GenesisHash(alg);
  o.sync = false;  // logic tests; durability is LevelDB's
  return o;
}

std::unique_ptr<BlockStore> OpenOrDie(const std::string& dir, const BlockStoreOptions& o) {
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(dir, o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Appends `count` blocks with 0, 1, 2, ... transactions; returns them.
std::vector<pb::Block> AppendChain(BlockStore* store, int count, HashAlg alg = kAlg) {
  std::vector<pb::Block> blocks;
  for (int h = 0; h < count; ++h) {
    pb::Block b = MakeBlock(alg, store->block_count(), store->latest_hash(), h % 5);
    Status s = store->Append(b);
    EXPECT_TRUE(s.ok()) << s.ToString();
    blocks.push_back(b);
  }
  return blocks;
}

TEST(Crc32c, KnownAnswer) {
  // The CRC-32C check value (RFC 3720 / iSCSI): crc32c("123456789").
  EXPECT_EQ(storage::Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(storage::Crc32c("1234", "567", "89"), 0xE3069283u);
}

TEST(Record, RoundTripAndEveryByteFlipDetected) {
  const std::string key = storage::BlockKey(3);
  const std::string record = storage::EncodeRecord(key, "payload bytes");
  std::string payload;
  ASSERT_TRUE(storage::DecodeRecord(key, record, &payload).ok());
  EXPECT_EQ(payload, "payload bytes");
  EXPECT_EQ(storage::DecodeRecord(storage::BlockKey(4), record, &payload).code(), "CORRUPTION");
  for (size_t i = 0; i < record.size(); ++i) {
    std::string bad = record;
    bad[i] ^= 0x01;
    EXPECT_EQ(storage::DecodeRecord(key, bad, &payload).code(), "CORRUPTION") << i;
  }
  EXPECT_EQ(storage::DecodeRecord(key, record.substr(0, 4), &payload).code(), "CORRUPTION");
}

TEST(BlockStore, AppendGetAndLookups) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->block_count(), 0u);
  EXPECT_FALSE(store->latest_height().has_value());
  EXPECT_EQ(store->latest_hash(), GenesisHash(kAlg));

  std::vector<pb::Block> blocks = AppendChain(store.get(), 6);
  EXPECT_EQ(store->block_count(), 6u);
  EXPECT_EQ(store->latest_height(), 5u);
  EXPECT_EQ(store->latest_hash(), BlockHash(kAlg, blocks[5].header()));
  for (uint64_t h = 0; h < blocks.size(); ++h) {
    pb::Block got;
    ASSERT_TRUE(store->GetBlock(h, &got).ok());
    EXPECT_EQ(EncodeBlock(got), EncodeBlock(blocks[h]));
    const std::string hash = BlockHash(kAlg, blocks[h].header());
    uint64_t height = 99;
    pb::Block by_hash;
    ASSERT_TRUE(store->GetBlockByHash(hash, &by_hash, &height).ok());
    EXPECT_EQ(height, h);
    EXPECT_EQ(EncodeBlock(by_hash), EncodeBlock(blocks[h]));
    EXPECT_EQ(*store->HeightOfHash(hash), h);
  }
  pb::Block none;
  EXPECT_EQ(store->GetBlock(6, &none).code(), "NOT_FOUND");
  EXPECT_EQ(store->GetBlockByHash(Hash(kAlg, "nope"), &none, nullptr).code(), "NOT_FOUND");
}

TEST(BlockStore, RefusesOutOfOrderBlocks) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 1, GenesisHash(kAlg), 1)).code(), "OUT_OF_ORDER");
  std::vector<pb::Block> blocks = AppendChain(store.get(), 3);
  const std::string tip = store->latest_hash();
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 4, tip, 1)).code(), "OUT_OF_ORDER");
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 2, tip, 1)).code(), "OUT_OF_ORDER");
  EXPECT_EQ(store->Append(blocks[0]).code(), "OUT_OF_ORDER");
  EXPECT_EQ(store->block_count(), 3u);
  EXPECT_TRUE(store->Append(MakeBlock(kAlg, 3, tip, 1)).ok());
}

TEST(BlockStore, RefusesWronglyLinkedBlocks) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 0, Hash(kAlg, "other genesis"), 1)).code(),
            "BAD_PREV_HASH");
  std::vector<pb::Block> blocks = AppendChain(store.get(), 3);
  // Linked to the parent's parent, to nothing, to a short hash.
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 3, BlockHash(kAlg, blocks[1].header()), 1)).code(),
            "BAD_PREV_HASH");
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 3, std::string(32, '\0'), 1)).code(), "BAD_PREV_HASH");
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 3, "short", 1)).code(), "BAD_PREV_HASH");
  EXPECT_EQ(store->block_count(), 3u);
}

TEST(BlockStore, RefusesInconsistentBlocksAndWritesNothing) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  AppendChain(store.get(), 2);
  const std::string tip = store->latest_hash();
  const pb::Block good = MakeBlock(kAlg, 2, tip, 3);

  pb::Block b = good;
  b.mutable_header()->set_tx_root(std::string(32, '\x01'));
  EXPECT_EQ(store->Append(b).code(), "TX_ROOT_MISMATCH");
  b = good;
  b.mutable_header()->set_receipts_root(std::string(32, '\x01'));
  EXPECT_EQ(store->Append(b).code(), "RECEIPTS_ROOT_MISMATCH");
  b = good;
  b.mutable_header()->set_tx_count(4);
  EXPECT_EQ(store->Append(b).code(), "TX_COUNT_MISMATCH");
  b = good;
  b.mutable_receipts()->RemoveLast();
  EXPECT_EQ(store->Append(b).code(), "RECEIPT_COUNT_MISMATCH");
  b = good;
  b.mutable_receipts(0)->set_index(1);
  EXPECT_EQ(store->Append(b).code(), "RECEIPT_MISMATCH");
  b = good;
  b.mutable_header()->set_chain_id("another-chain");
  EXPECT_EQ(store->Append(b).code(), "CHAIN_ID_MISMATCH");
  b = good;
  b.mutable_header()->set_time(0);
  EXPECT_EQ(store->Append(b).code(), "TIME_DECREASED");

  EXPECT_EQ(store->block_count(), 2u);
  EXPECT_EQ(store->latest_hash(), tip);
  for (const pb::Transaction& tx : good.transactions()) {
    EXPECT_EQ(store->FindTransaction(TransactionId(kAlg, tx)).status().code(), "NOT_FOUND");
  }
  ASSERT_TRUE(store->Append(good).ok());
}

TEST(BlockStore, FindTransactionKeepsFirstOccurrence) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  std::vector<pb::Block> blocks = AppendChain(store.get(), 5);
  for (const pb::Block& b : blocks) {
    for (int i = 0; i < b.transactions_size(); ++i) {
      Result<TxLocation> loc = store->FindTransaction(TransactionId(kAlg, b.transactions(i)));
      ASSERT_TRUE(loc.ok()) << loc.status().ToString();
      EXPECT_EQ(*loc, (TxLocation{b.header().height(), static_cast<uint32_t>(i)}));
    }
  }
  EXPECT_EQ(store->FindTransaction(Hash(kAlg, "unknown")).status().code(), "NOT_FOUND");

  // A replayed transaction (kept in the block, rejected by the contracts)
  // and a duplicate inside one block do not move the index.
  const pb::Transaction replayed = blocks[2].transactions(1);
  pb::Block b = MakeBlock(kAlg, 5, store->latest_hash(), 0);
  for (int i = 0; i < 2; ++i) {
    *b.add_transactions() = replayed;
    pb::Receipt* r = b.add_receipts();
    r->set_tx_id(TransactionId(kAlg, replayed));
    r->set_code("DUPLICATE");
    r->set_height(5);
    r->set_index(i);
  }
  SealBlock(kAlg, &b);
  ASSERT_TRUE(store->Append(b).ok());
  EXPECT_EQ(*store->FindTransaction(TransactionId(kAlg, replayed)), (TxLocation{2, 1}));
}

TEST(BlockStore, ForEachIteratesInOrder) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  std::vector<pb::Block> blocks = AppendChain(store.get(), 7);
  std::vector<uint64_t> seen;
  ASSERT_TRUE(store
                  ->ForEach(0,
                            [&](uint64_t h, const pb::Block& b) {
                              EXPECT_EQ(EncodeBlock(b), EncodeBlock(blocks[h]));
                              seen.push_back(h);
                              return true;
                            })
                  .ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6}));
  seen.clear();
  ASSERT_TRUE(store
                  ->ForEach(3,
                            [&](uint64_t h, const pb::Block&) {
                              seen.push_back(h);
                              return h < 4;
                            })
                  .ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{3, 4}));
  seen.clear();
  ASSERT_TRUE(store->ForEach(7, [&](uint64_t h, const pb::Block&) { return true; }).ok());
}

TEST(BlockStore, ReopenAfterClose) {
  ScratchDir dir;
  std::vector<pb::Block> blocks;
  BlockStoreOptions synced = Options();
  synced.sync = true;  // the production setting
  {
    auto store = OpenOrDie(dir.path(), synced);
    blocks = AppendChain(store.get(), 4);
  }
  {
    auto store = OpenOrDie(dir.path(), Options());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->block_count(), 4u);
    EXPECT_EQ(store->latest_hash(), BlockHash(kAlg, blocks[3].header()));
    pb::Block b;
    ASSERT_TRUE(store->GetBlock(2, &b).ok());
    EXPECT_EQ(EncodeBlock(b), EncodeBlock(blocks[2]));
    // Appending continues, and the time/chain guards survived the reopen.
    pb::Block earlier = MakeBlock(kAlg, 4, store->latest_hash(), 1);
    earlier.mutable_header()->set_time(1);
    SealBlock(kAlg, &earlier);
    EXPECT_EQ(store->Append(earlier).code(), "TIME_DECREASED");
    EXPECT_TRUE(store->Append(MakeBlock(kAlg, 4, store->latest_hash(), 2)).ok());
  }
  // Identity taken from the store.
  BlockStoreOptions adopt;
  adopt.create_if_missing = false;
  auto store = OpenOrDie(dir.path(), adopt);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->alg(), kAlg);
  EXPECT_EQ(store->genesis_hash(), GenesisHash(kAlg));
  EXPECT_EQ(store->block_count(), 5u);
}

TEST(BlockStore, OpenErrors) {
  ScratchDir dir;
  { OpenOrDie(dir.path(), Options()); }
  BlockStoreOptions o = Options(HashAlg::kSm3);
  o.genesis_hash = GenesisHash(kAlg);
  EXPECT_EQ(BlockStore::Open(dir.path(), o).status().code(), "STORE_MISMATCH");
  o = Options();
  o.genesis_hash = Hash(kAlg, "another genesis");
  EXPECT_EQ(BlockStore::Open(dir.path(), o).status().code(), "STORE_MISMATCH");

  ScratchDir empty;
  BlockStoreOptions missing;
  EXPECT_EQ(BlockStore::Open(empty.path() + "/new", missing).status().code(), "INVALID_ARGUMENT");
  missing.alg = kAlg;
  missing.genesis_hash = "short";
  EXPECT_EQ(BlockStore::Open(empty.path() + "/new2", missing).status().code(), "INVALID_ARGUMENT");
  BlockStoreOptions no_create = Options();
  no_create.create_if_missing = false;
  EXPECT_EQ(BlockStore::Open(empty.path() + "/absent", no_create).status().code(), "NOT_FOUND");
}

TEST(BlockStore, SmChainWorksToo) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options(HashAlg::kSm3));
  std::vector<pb::Block> blocks = AppendChain(store.get(), 3, HashAlg::kSm3);
  EXPECT_EQ(store->latest_hash(), BlockHash(HashAlg::kSm3, blocks[2].header()));
  // A sha256-sealed block does not fit an sm3 chain.
  EXPECT_EQ(store->Append(MakeBlock(kAlg, 3, store->latest_hash(), 2)).code(), "RECEIPT_MISMATCH");
}

TEST(BlockStore, Attestations) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  std::vector<pb::Block> blocks = AppendChain(store.get(), 3);
  auto att = [&](const std::string& node, uint64_t h, const std::string& hash) {
    pb::Attestation a;
    a.set_node_id(node);
    a.set_height(h);
    a.set_block_hash(hash);
    a.set_signature(std::string(64, node[0]));
    return a;
  };
  const std::string h1 = BlockHash(kAlg, blocks[1].header());
  ASSERT_TRUE(store->PutAttestation(att("n2", 1, h1)).ok());
  ASSERT_TRUE(store->PutAttestation(att("n1", 1, h1)).ok());
  ASSERT_TRUE(store->PutAttestation(att("n3", 1, h1)).ok());
  ASSERT_TRUE(store->PutAttestation(att("n1", 2, BlockHash(kAlg, blocks[2].header()))).ok());
  EXPECT_EQ(store->PutAttestation(att("n1", 1, std::string(32, '\0'))).code(),
            "ATTESTATION_HASH_MISMATCH");
  EXPECT_EQ(store->PutAttestation(att("n1", 3, h1)).code(), "NOT_FOUND");
  EXPECT_EQ(store->PutAttestation(att("", 1, h1)).code(), "INVALID_ARGUMENT");

  std::vector<pb::Attestation> got;
  ASSERT_TRUE(store->GetAttestations(1, &got).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].node_id(), "n1");
  EXPECT_EQ(got[1].node_id(), "n2");
  EXPECT_EQ(got[2].node_id(), "n3");
  ASSERT_TRUE(store->GetAttestations(0, &got).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(store->GetAttestations(2, &got).ok());
  EXPECT_EQ(got.size(), 1u);

  // The write log names the attested blocks by generation (Appends none).
  std::vector<uint64_t> heights;
  const uint64_t gen = store->generation();
  ASSERT_TRUE(store->AttestedBetween(gen - 4, gen, [&](uint64_t h) { heights.push_back(h); }));
  EXPECT_EQ(heights, (std::vector<uint64_t>{1, 1, 1, 2}));
  heights.clear();
  ASSERT_TRUE(store->AttestedBetween(0, 3, [&](uint64_t h) { heights.push_back(h); }));
  EXPECT_TRUE(heights.empty());                                         // the three Appends
  EXPECT_FALSE(store->AttestedBetween(gen, gen + 1, [](uint64_t) {}));  // not written yet
  EXPECT_EQ(store->latest_time(), blocks[2].header().time());

  // Replacing a node's attestation keeps one per node.
  pb::Attestation again = att("n2", 1, h1);
  again.set_signature(std::string(64, 'z'));
  ASSERT_TRUE(store->PutAttestation(again).ok());
  ASSERT_TRUE(store->GetAttestations(1, &got).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].signature(), std::string(64, 'z'));
}

// Attestations are stored unsynced; Flush (or the next Append) syncs them.
// An older block's hash is checked through the hash index.
TEST(BlockStore, AttestationsAreSyncedByFlushOrAppend) {
  ScratchDir dir;
  BlockStoreOptions o = Options();
  o.sync = true;
  auto store = OpenOrDie(dir.path(), o);
  std::vector<pb::Block> blocks = AppendChain(store.get(), 3);
  EXPECT_FALSE(store->has_unsynced_writes());
  pb::Attestation a;
  a.set_node_id("n1");
  a.set_height(1);
  a.set_block_hash(BlockHash(kAlg, blocks[2].header()));  // block 2's hash, not 1's
  a.set_signature(std::string(64, 's'));
  EXPECT_EQ(store->PutAttestation(a).code(), "ATTESTATION_HASH_MISMATCH");
  EXPECT_FALSE(store->has_unsynced_writes());
  a.set_block_hash(BlockHash(kAlg, blocks[1].header()));
  ASSERT_TRUE(store->PutAttestation(a).ok());
  EXPECT_TRUE(store->has_unsynced_writes());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_FALSE(store->has_unsynced_writes());
  ASSERT_TRUE(store->PutAttestation(a).ok());
  EXPECT_TRUE(store->has_unsynced_writes());
  ASSERT_TRUE(store->Append(MakeBlock(kAlg, 3, store->latest_hash(), 2)).ok());
  EXPECT_FALSE(store->has_unsynced_writes());
  std::vector<pb::Attestation> got;
  ASSERT_TRUE(store->GetAttestations(1, &got).ok());
  EXPECT_EQ(got.size(), 1u);
}

TEST(BlockStore, DamagedRecordIsReportedNotServed) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  AppendChain(store.get(), 4);
  const std::string key = storage::BlockKey(1);
  std::string record = *store->TEST_GetRaw(key);
  for (size_t i = 0; i < record.size(); i += 7) {
    std::string bad = record;
    bad[i] ^= 0x20;
    ASSERT_TRUE(store->TEST_PutRaw(key, bad).ok());
    pb::Block b;
    EXPECT_EQ(store->GetBlock(1, &b).code(), "CORRUPTION") << "byte " << i;
    EXPECT_EQ(store->ForEach(0, [](uint64_t, const pb::Block&) { return true; }).code(),
              "CORRUPTION");
  }
  ASSERT_TRUE(store->TEST_PutRaw(key, record).ok());
  pb::Block b;
  EXPECT_TRUE(store->GetBlock(1, &b).ok());
}

// Rewrites the record at `height` with a changed block and a valid checksum.
void PutTamperedBlock(BlockStore* store, uint64_t height,
                      const std::function<void(pb::Block*)>& change) {
  pb::Block b;
  ASSERT_TRUE(store->GetBlock(height, &b).ok());
  change(&b);
  const std::string key = storage::BlockKey(height);
  ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeBlock(b))).ok());
}

TEST(BlockStore, OpenChecksLatestBlock) {
  struct Case {
    const char* name;
    std::function<void(BlockStore*)> damage;
  };
  const std::vector<Case> cases = {
      {"flipped byte",
       [](BlockStore* s) {
         const std::string key = storage::BlockKey(2);
         std::string r = *s->TEST_GetRaw(key);
         r[r.size() / 2] ^= 1;
         ASSERT_TRUE(s->TEST_PutRaw(key, r).ok());
       }},
      {"header field",
       [](BlockStore* s) {
         PutTamperedBlock(s, 2, [](pb::Block* b) { b->mutable_header()->set_proposer("evil"); });
       }},
      {"payload",
       [](BlockStore* s) {
         PutTamperedBlock(s, 2,
                          [](pb::Block* b) { b->mutable_transactions(0)->set_payload("{}"); });
       }},
      {"receipt with resealed header",
       [](BlockStore* s) {
         PutTamperedBlock(s, 2, [](pb::Block* b) {
           b->mutable_receipts(1)->set_ok(true);
           SealBlock(kAlg, b);
         });
       }},
      {"emptied record",
       [](BlockStore* s) { ASSERT_TRUE(s->TEST_PutRaw(storage::BlockKey(2), "").ok()); }},
      {"block after latest",
       [](BlockStore* s) {
         const std::string key = storage::BlockKey(3);
         pb::Block b = MakeBlock(kAlg, 3, s->latest_hash(), 1);
         ASSERT_TRUE(s->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeBlock(b))).ok());
       }},
      {"latest pointer",
       [](BlockStore* s) {
         std::string r = *s->TEST_GetRaw(storage::LatestKey());
         r.back() ^= 1;
         ASSERT_TRUE(s->TEST_PutRaw(storage::LatestKey(), r).ok());
       }},
  };
  for (const Case& c : cases) {
    ScratchDir dir;
    {
      auto store = OpenOrDie(dir.path(), Options());
      AppendChain(store.get(), 3);
      c.damage(store.get());
    }
    Result<std::unique_ptr<BlockStore>> reopened = BlockStore::Open(dir.path(), Options());
    EXPECT_EQ(reopened.status().code(), "CORRUPTION") << c.name;
  }
}

TEST(BlockStore, OnDiskFileCorruptionIsReported) {
  ScratchDir dir;
  {
    auto store = OpenOrDie(dir.path(), Options());
    AppendChain(store.get(), 20);
    store->TEST_CompactAll();
  }
  // Damage every table file up to its index blocks (the small header and
  // transaction records, keys "H" and "T", sort before the blocks, "b").
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".ldb") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(entry.path());
    for (std::streamoff off = 100; off < static_cast<std::streamoff>(size) - 4096; off += 512) {
      f.seekg(off);
      char c = 0;
      f.read(&c, 1);
      f.seekp(off);
      c ^= 0x55;
      f.write(&c, 1);
    }
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(dir.path(), Options());
  if (!store.ok()) {
    EXPECT_EQ(store.status().code(), "CORRUPTION") << store.status().ToString();
    return;
  }
  Status s = (*store)->ForEach(0, [](uint64_t, const pb::Block&) { return true; });
  EXPECT_EQ(s.code(), "CORRUPTION") << s.ToString();
}

// Every transaction record equals its block's transaction and receipt, and
// its paths prove both against the header record's roots.
void ExpectRecordsMatchBlocks(const BlockStore& store, const std::vector<pb::Block>& blocks) {
  for (const pb::Block& b : blocks) {
    const uint64_t h = b.header().height();
    pb::HeaderRecord hr;
    ASSERT_TRUE(store.GetHeader(h, &hr).ok()) << h;
    EXPECT_EQ(EncodeHeader(hr.header()), EncodeHeader(b.header()));
    EXPECT_EQ(hr.block_hash(), BlockHash(kAlg, b.header()));
    for (int i = 0; i < b.transactions_size(); ++i) {
      pb::TxRecord r;
      Status s = store.GetTxRecord(h, i, &r);
      ASSERT_TRUE(s.ok()) << h << ":" << i << " " << s.ToString();
      EXPECT_EQ(r.tx().SerializeAsString(), b.transactions(i).SerializeAsString());
      EXPECT_EQ(EncodeReceipt(r.receipt()), EncodeReceipt(b.receipts(i)));
      EXPECT_EQ(r.tx_id(), TransactionId(kAlg, b.transactions(i)));
      EXPECT_EQ(r.tree_size(), static_cast<uint32_t>(b.transactions_size()));
      std::vector<std::string> tp(r.tx_path().begin(), r.tx_path().end());
      std::vector<std::string> rp(r.receipt_path().begin(), r.receipt_path().end());
      EXPECT_TRUE(VerifyMerkleInclusion(kAlg, i, r.tree_size(), MerkleLeafHash(kAlg, r.tx_id()), tp,
                                        hr.header().tx_root())
                      .ok());
      EXPECT_TRUE(
          VerifyMerkleInclusion(kAlg, i, r.tree_size(),
                                MerkleLeafHash(kAlg, Hash(kAlg, EncodeReceipt(r.receipt()))), rp,
                                hr.header().receipts_root())
              .ok());
    }
    pb::TxRecord past;
    EXPECT_EQ(store.GetTxRecord(h, b.transactions_size(), &past).code(), "NOT_FOUND");
  }
}

TEST(BlockStore, HeaderAndTransactionRecords) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  std::vector<pb::Block> blocks = AppendChain(store.get(), 7);
  EXPECT_EQ(store->records_from(), 0u);
  ExpectRecordsMatchBlocks(*store, blocks);
  pb::HeaderRecord hr;
  EXPECT_EQ(store->GetHeader(7, &hr).code(), "NOT_FOUND");
  pb::TxRecord r;
  EXPECT_EQ(store->GetTxRecord(7, 0, &r).code(), "NOT_FOUND");
  // By id: the first occurrence.
  const std::string id = TransactionId(kAlg, blocks[3].transactions(2));
  ASSERT_TRUE(store->GetTxRecordById(id, &r).ok());
  EXPECT_EQ(r.height(), 3u);
  EXPECT_EQ(r.index(), 2u);
  EXPECT_EQ(store->GetTxRecordById(std::string(32, 'x'), &r).code(), "NOT_FOUND");
}

TEST(BlockStore, DamagedTransactionAndHeaderRecordsAreNotServed) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  AppendChain(store.get(), 5);  // block 4 has 4 transactions
  pb::TxRecord r;
  const std::string key = storage::TxRecordKey(4, 1);
  const std::string good = *store->TEST_GetRaw(key);
  // Every single-byte change is caught by the record checksum.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x20;
    ASSERT_TRUE(store->TEST_PutRaw(key, bad).ok());
    EXPECT_EQ(store->GetTxRecord(4, 1, &r).code(), "CORRUPTION") << i;
  }
  // A valid record under another key (index 2's, re-checksummed for index 1).
  std::string payload;
  ASSERT_TRUE(storage::DecodeRecord(storage::TxRecordKey(4, 2),
                                    *store->TEST_GetRaw(storage::TxRecordKey(4, 2)), &payload)
                  .ok());
  ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, payload)).ok());
  EXPECT_EQ(store->GetTxRecord(4, 1, &r).code(), "CORRUPTION");
  // A changed payload with a valid checksum: the tx id no longer matches.
  pb::TxRecord changed;
  ASSERT_TRUE(storage::DecodeRecord(key, good, &payload).ok());
  ASSERT_TRUE(changed.ParseFromString(payload));
  changed.mutable_tx()->set_payload(changed.tx().payload() + " ");
  ASSERT_TRUE(store->TEST_PutRaw(key, storage::EncodeRecord(key, EncodeTxRecord(changed))).ok());
  EXPECT_EQ(store->GetTxRecord(4, 1, &r).code(), "CORRUPTION");
  // A missing record under an existing block is damage, not absence.
  ASSERT_TRUE(store->TEST_DeleteRaw(key).ok());
  EXPECT_EQ(store->GetTxRecord(4, 1, &r).code(), "CORRUPTION");
  ASSERT_TRUE(store->TEST_PutRaw(key, good).ok());
  EXPECT_TRUE(store->GetTxRecord(4, 1, &r).ok());
  // Header record: a changed header whose stored hash no longer matches.
  const std::string hkey = storage::HeaderKey(3);
  pb::HeaderRecord hr;
  ASSERT_TRUE(storage::DecodeRecord(hkey, *store->TEST_GetRaw(hkey), &payload).ok());
  ASSERT_TRUE(hr.ParseFromString(payload));
  hr.mutable_header()->set_proposer("evil");
  ASSERT_TRUE(store->TEST_PutRaw(hkey, storage::EncodeRecord(hkey, EncodeHeaderRecord(hr))).ok());
  EXPECT_EQ(store->GetHeader(3, &hr).code(), "CORRUPTION");
  ASSERT_TRUE(store->TEST_DeleteRaw(hkey).ok());
  EXPECT_EQ(store->GetHeader(3, &hr).code(), "CORRUPTION");
}

TEST(BlockStore, OpenChecksTheLatestBlocksRecords) {
  for (const std::string& key : {storage::HeaderKey(4), storage::TxRecordKey(4, 3)}) {
    ScratchDir dir;
    {
      auto store = OpenOrDie(dir.path(), Options());
      AppendChain(store.get(), 5);  // block 4 has 4 transactions
      ASSERT_TRUE(store->TEST_DeleteRaw(key).ok());
    }
    Result<std::unique_ptr<BlockStore>> store = BlockStore::Open(dir.path(), Options());
    ASSERT_FALSE(store.ok()) << ToHex(key);
    EXPECT_EQ(store.status().code(), "CORRUPTION") << store.status().ToString();
  }
}

TEST(BlockStore, FormatOneStoreIsReadFromBlocksAndUpgradedByAppend) {
  ScratchDir dir;
  std::vector<pb::Block> blocks;
  {
    // Make a format 1 store: meta version 1, no header or transaction records.
    auto store = OpenOrDie(dir.path(), Options());
    blocks = AppendChain(store.get(), 6);
    for (const pb::Block& b : blocks) {
      const uint64_t h = b.header().height();
      ASSERT_TRUE(store->TEST_DeleteRaw(storage::HeaderKey(h)).ok());
      for (int i = 0; i < b.transactions_size(); ++i) {
        ASSERT_TRUE(store->TEST_DeleteRaw(storage::TxRecordKey(h, i)).ok());
      }
    }
    pb::StoreMeta meta;
    meta.set_format_version(1);
    meta.set_hash_alg("sha256");
    meta.set_genesis_hash(GenesisHash(kAlg));
    ASSERT_TRUE(
        store
            ->TEST_PutRaw(storage::MetaKey(),
                          storage::EncodeRecord(storage::MetaKey(), meta.SerializeAsString()))
            .ok());
  }
  {
    auto store = OpenOrDie(dir.path(), Options());
    EXPECT_EQ(store->records_from(), 6u);
    ExpectRecordsMatchBlocks(*store, blocks);  // built from the blocks
    std::vector<pb::Block> more = AppendChain(store.get(), 3);
    EXPECT_EQ(store->records_from(), 6u);
    EXPECT_TRUE(store->TEST_GetRaw(storage::HeaderKey(6)).ok());
    EXPECT_TRUE(store->TEST_GetRaw(storage::TxRecordKey(7, 0)).ok());
    EXPECT_EQ(store->TEST_GetRaw(storage::TxRecordKey(5, 0)).status().code(), "NOT_FOUND");
    blocks.insert(blocks.end(), more.begin(), more.end());
    ExpectRecordsMatchBlocks(*store, blocks);
  }
  // The upgrade is stored: format 2, records from height 6.
  auto store = OpenOrDie(dir.path(), Options());
  EXPECT_EQ(store->records_from(), 6u);
  std::string payload;
  ASSERT_TRUE(
      storage::DecodeRecord(storage::MetaKey(), *store->TEST_GetRaw(storage::MetaKey()), &payload)
          .ok());
  pb::StoreMeta meta;
  ASSERT_TRUE(meta.ParseFromString(payload));
  EXPECT_EQ(meta.format_version(), 2u);
  EXPECT_EQ(meta.records_from(), 6u);
  ExpectRecordsMatchBlocks(*store, blocks);
}

TEST(BlockStore, ConcurrentReadersDuringAppends) {
  ScratchDir dir;
  auto store = OpenOrDie(dir.path(), Options());
  AppendChain(store.get(), 1);
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        uint64_t n = store->block_count();
        pb::Block b;
        if (!store->GetBlock(n - 1, &b).ok()) ++errors;
      }
    });
  }
  AppendChain(store.get(), 40);
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(store->block_count(), 41u);
}

}  // namespace
}  // namespace traceledger

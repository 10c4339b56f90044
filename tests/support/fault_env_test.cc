// The fault-injecting Env itself (its crash model and faults), and the three
// stores on it: damage is reported, never served; a failed write stops the
// store; what a synced write stored survives a crash.
#include "fault_env.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "chain_test_util.h"
#include "consensus/types.h"
#include "contracts/store.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/block_store.h"
#include "node/raft_storage.h"

namespace traceledger {
namespace {

using testing::FaultEnv;
using testing_util::GenesisHash;
using testing_util::MakeBlock;

constexpr HashAlg kAlg = HashAlg::kSha256;

// ---------------- the model ----------------

std::unique_ptr<leveldb::WritableFile> Create(FaultEnv* env, const std::string& name) {
  leveldb::WritableFile* f = nullptr;
  EXPECT_TRUE(env->NewWritableFile(name, &f).ok());
  return std::unique_ptr<leveldb::WritableFile>(f);
}

// As LevelDB writes CURRENT: the whole file, then one fsync.
leveldb::Status WriteSynced(FaultEnv* env, const std::string& data, const std::string& name) {
  auto f = Create(env, name);
  leveldb::Status s = f->Append(data);
  if (s.ok()) s = f->Sync();
  return s;
}

std::optional<std::string> Contents(FaultEnv* env, const std::string& name) {
  std::string data;
  leveldb::Status s = leveldb::ReadFileToString(env, name, &data);
  if (!s.ok()) return std::nullopt;
  return data;
}

TEST(FaultEnv, ACrashKeepsWhatWasSyncedAndAtMostTheRest) {
  int lost = 0, kept = 0, torn = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    FaultEnv env(seed);
    ASSERT_TRUE(env.CreateDir("/d").ok());
    {
      auto f = Create(&env, "/d/a.log");
      ASSERT_TRUE(f->Append("synced|").ok());
      ASSERT_TRUE(f->Sync().ok());
      ASSERT_TRUE(f->Append("unsynced tail").ok());
    }
    env.Crash();
    auto data = Contents(&env, "/d/a.log");
    ASSERT_TRUE(data.has_value()) << "a synced file's name is durable";
    std::string full = "synced|unsynced tail";
    ASSERT_EQ(full.compare(0, data->size(), *data), 0) << "a crash keeps a prefix: " << *data;
    ASSERT_GE(data->size(), 7u) << "synced bytes survive";
    lost += data->size() == 7;
    kept += data->size() == full.size();
    torn += data->size() > 7 && data->size() < full.size();
  }
  EXPECT_GT(lost, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(torn, 0);
}

TEST(FaultEnv, ASeedReplaysExactly) {
  auto run = [](uint64_t seed) {
    FaultEnv env(seed);
    EXPECT_TRUE(env.CreateDir("/d").ok());
    for (int i = 0; i < 20; ++i) {
      auto f = Create(&env, "/d/" + std::to_string(i) + ".log");
      EXPECT_TRUE(f->Append(std::string(100 + i, 'x')).ok());
      if (i % 3 == 0) {
        EXPECT_TRUE(f->Sync().ok());
      }
      EXPECT_TRUE(f->Append(std::string(50, 'y')).ok());
    }
    env.Crash();
    std::string all = env.FlipRandomBit();
    for (int i = 0; i < 20; ++i)
      all += "|" + Contents(&env, "/d/" + std::to_string(i) + ".log").value_or("-");
    return all;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(FaultEnv, NameChangesBecomeDurableWithTheNextSync) {
  // LevelDB's CURRENT: write a temporary file, sync it, rename it over.
  int old_current = 0, new_current = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    FaultEnv env(seed);
    ASSERT_TRUE(env.CreateDir("/d").ok());
    ASSERT_TRUE(WriteSynced(&env, "MANIFEST-1\n", "/d/CURRENT").ok());
    ASSERT_TRUE(WriteSynced(&env, "MANIFEST-2\n", "/d/000002.dbtmp").ok());
    ASSERT_TRUE(env.RenameFile("/d/000002.dbtmp", "/d/CURRENT").ok());
    env.Crash();
    auto current = Contents(&env, "/d/CURRENT");
    ASSERT_TRUE(current.has_value());
    old_current += *current == "MANIFEST-1\n";
    new_current += *current == "MANIFEST-2\n";
    ASSERT_TRUE(*current == "MANIFEST-1\n" || *current == "MANIFEST-2\n") << *current;
  }
  EXPECT_GT(old_current, 0) << "an uncommitted rename may be lost";
  EXPECT_GT(new_current, 0);
  // Once any file is synced after it, the rename is durable.
  FaultEnv env(1);
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(WriteSynced(&env, "MANIFEST-1\n", "/d/CURRENT").ok());
  ASSERT_TRUE(WriteSynced(&env, "MANIFEST-2\n", "/d/000002.dbtmp").ok());
  ASSERT_TRUE(env.RenameFile("/d/000002.dbtmp", "/d/CURRENT").ok());
  ASSERT_TRUE(WriteSynced(&env, "x", "/d/other").ok());
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/CURRENT"), "MANIFEST-2\n");
  EXPECT_FALSE(env.FileExists("/d/000002.dbtmp"));
}

TEST(FaultEnv, AFailedSyncLosesItsDataEvenIfALaterSyncSucceeds) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    FaultEnv env(seed);
    ASSERT_TRUE(env.CreateDir("/d").ok());
    auto f = Create(&env, "/d/a.log");
    ASSERT_TRUE(f->Append("aaaa").ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Append("bbbb").ok());
    env.FailSyncs(1);
    EXPECT_TRUE(f->Sync().IsIOError());
    EXPECT_EQ(env.counters().failed_syncs, 1u);
    EXPECT_EQ(env.counters().failed_log_writes, 1u);
    // Retrying "works" (as on Linux), but the kernel dropped those pages.
    ASSERT_TRUE(f->Append("cccc").ok());
    ASSERT_TRUE(f->Sync().ok());
    EXPECT_EQ(Contents(&env, "/d/a.log"), "aaaabbbbcccc") << "readers still see them now";
    f.reset();
    env.Crash();
    EXPECT_EQ(Contents(&env, "/d/a.log"), std::string("aaaa") + std::string(4, '\0') + "cccc");
  }
}

TEST(FaultEnv, AFullDiskWritesWhatFitsAndFails) {
  FaultEnv env(3);
  ASSERT_TRUE(env.CreateDir("/d").ok());
  auto f = Create(&env, "/d/a.log");
  ASSERT_TRUE(f->Append(std::string(100, 'a')).ok());
  env.SetSpaceLeft(10);
  EXPECT_TRUE(f->Append(std::string(5, 'b')).ok());
  leveldb::Status s = f->Append(std::string(20, 'c'));
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos);
  uint64_t size = 0;
  ASSERT_TRUE(env.GetFileSize("/d/a.log", &size).ok());
  EXPECT_LE(size, 110u) << "at most what fits";
  EXPECT_GE(size, 105u);
  leveldb::WritableFile* g = nullptr;
  env.SetSpaceLeft(0);
  EXPECT_TRUE(env.NewWritableFile("/d/b.log", &g).IsIOError());
  env.ClearTransientFaults();
  EXPECT_TRUE(f->Append(std::string(1000, 'd')).ok());
  EXPECT_EQ(env.counters().failed_log_writes, 1u);
}

TEST(FaultEnv, ReadErrorsAtTheRateAsked) {
  FaultEnv env(5);
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(WriteSynced(&env, std::string(4096, 'x'), "/d/t.ldb").ok());
  leveldb::RandomAccessFile* raw = nullptr;
  ASSERT_TRUE(env.NewRandomAccessFile("/d/t.ldb", &raw).ok());
  std::unique_ptr<leveldb::RandomAccessFile> file(raw);
  env.SetReadErrorRate(250000);
  int errors = 0;
  char scratch[16];
  for (int i = 0; i < 1000; ++i) {
    leveldb::Slice got;
    leveldb::Status s = file->Read(i, 16, &got, scratch);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsIOError());
      ++errors;
    } else {
      EXPECT_EQ(got.ToString(), std::string(16, 'x'));
    }
  }
  EXPECT_GT(errors, 180);
  EXPECT_LT(errors, 320);
  EXPECT_EQ(env.counters().read_errors, static_cast<uint64_t>(errors));
}

TEST(FaultEnv, AFlipChangesOneBitAndSparesTheLengthAndTypeOfALogsLastRecords) {
  // A log of three records in one block: headers at 0, 7+10, 2*(7+10).
  std::string log;
  for (int r = 0; r < 3; ++r) {
    log += std::string(4, '\x11');      // crc
    log += std::string("\x0a\x00", 2);  // length 10
    log += '\x01';                      // full record
    log += std::string(10, 'p');
  }
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    FaultEnv env(seed);
    ASSERT_TRUE(env.CreateDir("/d").ok());
    ASSERT_TRUE(WriteSynced(&env, log, "/d/000003.log").ok());
    std::string where = env.FlipRandomBit();
    ASSERT_FALSE(where.empty());
    auto now = Contents(&env, "/d/000003.log");
    ASSERT_TRUE(now.has_value());
    int bits = 0;
    size_t at = 0;
    for (size_t i = 0; i < log.size(); ++i) {
      int d = __builtin_popcount(static_cast<uint8_t>(log[i] ^ (*now)[i]));
      bits += d;
      if (d) at = i;
    }
    ASSERT_EQ(bits, 1) << where;
    EXPECT_EQ(where, "/d/000003.log@" + std::to_string(at));
    size_t in_record = at % 17;
    EXPECT_TRUE(in_record < 4 || in_record >= 7) << "length or type of a record hit: " << at;
  }
  // The lock file and the info log are never hit.
  FaultEnv env(1);
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(WriteSynced(&env, "text", "/d/LOG").ok());
  EXPECT_EQ(env.FlipRandomBit(), "");
}

// ---------------- the stores on it ----------------

BlockStoreOptions BlockOptions(FaultEnv* env) {
  BlockStoreOptions o;
  o.alg = kAlg;
  o.genesis_hash = GenesisHash(kAlg);
  o.env = env;
  return o;
}

// A block store with `n` blocks of 20 transactions (with 64 KiB memtables,
// most of them in table files).
std::vector<pb::Block> FillBlockStore(FaultEnv* env, const std::string& dir, int n) {
  auto store = BlockStore::Open(dir, BlockOptions(env));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  std::vector<pb::Block> blocks;
  for (int h = 0; h < n; ++h) {
    pb::Block b = MakeBlock(kAlg, h, (*store)->latest_hash(), 20);
    EXPECT_TRUE((*store)->Append(b).ok());
    blocks.push_back(b);
  }
  // (Not TEST_CompactAll: a manual compaction waits for background work,
  // which this Env runs only on this thread.)
  env->RunQueuedWork();
  return blocks;
}

TEST(StoresOnFaultEnv, AFlippedBitInTheBlockStoreIsReportedNeverServed) {
  int refused = 0, reported = 0, harmless = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    FaultEnv env(seed, 64 << 10);
    std::vector<pb::Block> blocks = FillBlockStore(&env, "/n/blocks", 30);
    std::string where = env.FlipRandomBit("/n/blocks/");
    ASSERT_FALSE(where.empty());
    auto store = BlockStore::Open("/n/blocks", BlockOptions(&env));
    if (!store.ok()) {
      EXPECT_EQ(store.status().code(), "CORRUPTION") << where << ": " << store.status().ToString();
      ++refused;
      continue;
    }
    bool any_error = false;
    for (uint64_t h = 0; h < blocks.size(); ++h) {
      pb::Block got;
      Status s = (*store)->GetBlock(h, &got);
      if (s.ok()) {
        ASSERT_EQ(EncodeBlock(got), EncodeBlock(blocks[h])) << where << " served other bytes";
      } else {
        EXPECT_EQ(s.code(), "CORRUPTION") << where << ": " << s.ToString();
        any_error = true;
      }
      for (int i = 0; i < blocks[h].transactions_size(); ++i) {
        pb::TxRecord rec;
        Status rs = (*store)->GetTxRecord(h, static_cast<uint32_t>(i), &rec);
        if (rs.ok()) {
          ASSERT_EQ(rec.tx().SerializeAsString(), blocks[h].transactions(i).SerializeAsString())
              << where << " served other bytes";
        } else {
          EXPECT_EQ(rs.code(), "CORRUPTION") << where << ": " << rs.ToString();
          any_error = true;
        }
      }
    }
    (any_error ? reported : harmless) += 1;
  }
  EXPECT_GT(refused + reported, 0);
  std::printf("flips: %d refused at open, %d reported on read, %d in bytes never read\n", refused,
              reported, harmless);
}

// The state store must report damage, never skip it: without paranoid_checks
// LevelDB drops a damaged record of its log at open (a synced write is lost:
// the odd seeds below then read an absent or older value), and compactions
// do not verify the blocks they copy into new tables.
TEST(StoresOnFaultEnv, AFlippedBitInTheStateStoreIsReportedNeverServed) {
  int detected = 0;
  // Values that do not compress, so that table blocks hold them as they are.
  auto value = [](int k, int round) {
    std::string v = "value " + std::to_string(k) + " round " + std::to_string(round) + " ";
    uint64_t x = static_cast<uint64_t>(k) * 1000003 + static_cast<uint64_t>(round) + 1;
    while (v.size() < 200) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      v.push_back(static_cast<char>('a' + x % 26));
    }
    return v;
  };
  auto key = [](int k) { return "e|" + std::to_string(10000 + k); };
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    FaultEnv env(seed, 64 << 10);
    std::map<std::string, std::string> want;
    {
      auto store = StateStore::Open("/n/state", &env);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      // 80 KB of values: the next write moves them into a table file.
      std::vector<WriteOp> w;
      for (int k = 0; k < 400; ++k) {
        w.push_back({key(k), value(k, 0)});
        want[key(k)] = value(k, 0);
      }
      ASSERT_TRUE((*store)->Apply(w, true).ok());
      ASSERT_TRUE((*store)->Apply({{"a|filler", value(0, 99)}}, true).ok());
      env.RunQueuedWork();
      want["a|filler"] = value(0, 99);
    }
    // Even seeds: a bit of the table; odd seeds: a bit of the log.
    std::string where = env.FlipRandomBit("/n/state/", seed % 2 ? ".log" : ".ldb");
    ASSERT_FALSE(where.empty());
    auto store = StateStore::Open("/n/state", &env);
    if (!store.ok()) {
      EXPECT_EQ(store.status().code(), "CORRUPTION") << where << ": " << store.status().ToString();
      ++detected;
      continue;
    }
    // Overwrite every tenth value, round after round: level-0 tables that
    // overlap the damaged one pile up and a compaction merges them with it.
    for (int round = 1; round < 8; ++round) {
      std::vector<WriteOp> w;
      for (int k = 0; k < 400; k += 10) {
        w.push_back({key(k), value(k, round)});
        want[key(k)] = value(k, round);
      }
      for (int k = 0; k < 300; ++k) {
        std::string filler = "f|" + std::to_string(round) + "|" + std::to_string(k);
        w.push_back({filler, value(k, round)});
        want[filler] = value(k, round);
      }
      if (!(*store)->Apply(w, true).ok()) {
        // A compaction found the damage: writes stop, this one was not made.
        for (const WriteOp& op : w) want.erase(op.key);
        for (int k = 0; k < 400; k += 10) want[key(k)] = value(k, round - 1);
        break;
      }
      env.RunQueuedWork();
    }
    for (const auto& [k, v] : want) {
      uint64_t failures = StateReadFailuresOnThisThread();
      std::optional<std::string> got = (*store)->Get(k);
      if (StateReadFailuresOnThisThread() != failures) {
        ++detected;
        break;
      }
      ASSERT_EQ(got, v) << where << ": the state store served other bytes for " << k;
    }
  }
  EXPECT_GT(detected, 0);
}

TEST(StoresOnFaultEnv, AFailedWriteStopsTheStoreAndAcknowledgedBlocksSurvive) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultEnv env(seed, 64 << 10);
    std::vector<pb::Block> acked;
    {
      auto store = BlockStore::Open("/n/blocks", BlockOptions(&env));
      ASSERT_TRUE(store.ok());
      env.SetSpaceLeft(20000 + seed * 997);
      Status failed;
      for (int h = 0; h < 200 && failed.ok(); ++h) {
        pb::Block b = MakeBlock(kAlg, h, (*store)->latest_hash(), 10);
        failed = (*store)->Append(b);
        if (failed.ok()) acked.push_back(b);
        env.RunQueuedWork();
      }
      ASSERT_FALSE(failed.ok()) << "the disk never filled";
      EXPECT_EQ(failed.code(), "IO_ERROR");
      // Room again: the store still refuses (fail-stop) until it is reopened.
      env.ClearTransientFaults();
      pb::Block next = MakeBlock(kAlg, acked.size(), (*store)->latest_hash(), 1);
      EXPECT_EQ((*store)->Append(next).code(), "IO_ERROR");
      pb::Attestation a;
      a.set_node_id("n1");
      a.set_height(0);
      a.set_block_hash(BlockHash(kAlg, acked[0].header()));
      EXPECT_EQ((*store)->PutAttestation(a).code(), "IO_ERROR");
    }
    if (seed % 2) env.Crash();  // and sometimes the machine went down too
    auto store = BlockStore::Open("/n/blocks", BlockOptions(&env));
    ASSERT_TRUE(store.ok()) << "seed " << seed << ": " << store.status().ToString();
    ASSERT_GE((*store)->block_count(), acked.size()) << "an acknowledged block was lost";
    for (uint64_t h = 0; h < acked.size(); ++h) {
      pb::Block got;
      ASSERT_TRUE((*store)->GetBlock(h, &got).ok());
      EXPECT_EQ(EncodeBlock(got), EncodeBlock(acked[h]));
    }
    pb::Block next = MakeBlock(kAlg, (*store)->block_count(), (*store)->latest_hash(), 1);
    EXPECT_TRUE((*store)->Append(next).ok()) << "the reopened store writes again";
  }
}

TEST(StoresOnFaultEnv, TheRaftLogStopsAfterAFailedSync) {
  FaultEnv env(11);
  auto log = node::RaftStorage::Open("/n/raft", true, &env);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  raft::Ready rd;
  rd.entries.push_back(raft::Entry{1, 1, raft::EntryType::kNormal, "one"});
  rd.hard_state = raft::HardState{1, 0, 0};
  ASSERT_TRUE((*log)->Save(rd).ok());
  env.FailSyncs(1);
  raft::Ready rd2;
  rd2.entries.push_back(raft::Entry{1, 2, raft::EntryType::kNormal, "two"});
  EXPECT_EQ((*log)->Save(rd2).code(), "IO_ERROR");
  raft::Ready rd3;
  rd3.entries.push_back(raft::Entry{1, 2, raft::EntryType::kNormal, "two again"});
  EXPECT_EQ((*log)->Save(rd3).code(), "IO_ERROR") << "never retry the sync and go on";
  log->reset();
  env.Crash();
  auto again = node::RaftStorage::Open("/n/raft", true, &env);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto st = (*again)->Load();
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_GE(st->entries.size(), 1u);
  EXPECT_EQ(st->entries[0].data, "one");
}

}  // namespace
}  // namespace traceledger

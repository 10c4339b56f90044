#include "ledger/db_options.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "chain_test_util.h"

namespace traceledger::storage {
namespace {

using testing_util::ScratchDir;

std::string ValueOf(int i) {
  // ~1 KB, half of it incompressible, like a transaction record.
  std::string v(1024, static_cast<char>('a' + i % 26));
  uint32_t x = static_cast<uint32_t>(i) * 2654435761u;
  for (size_t k = 0; k < 512; ++k) {
    x = x * 1664525u + 1013904223u;
    v[k] = static_cast<char>(x >> 24);
  }
  return v;
}

std::string KeyOf(int i) {
  char k[16];
  std::snprintf(k, sizeof k, "k%08d", i);
  return k;
}

// How many lines of /proc/self/maps name a file under `dir`.
int MappedFilesUnder(const std::string& dir) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(maps, line)) {
    if (line.find(dir) != std::string::npos) ++n;
  }
  return n;
}

std::unique_ptr<leveldb::DB> OpenDb(const std::string& dir, const DbSettings& settings) {
  leveldb::Options o;
  settings.Apply(&o);
  o.create_if_missing = true;
  o.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(o, dir, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::unique_ptr<leveldb::DB>(db);
}

// Tables are read with pread into the block cache, never mapped: every value
// reads back, no table file appears in the process's mappings, the block cache
// fills but stays within its limit, and the open tables' descriptors are given
// back when the database closes.
TEST(DbOptions, TablesAreReadWithoutMmapThroughABoundedCache) {
  ScratchDir dir;
  DbLimits limits;
  limits.block_cache_bytes = 256 << 10;
  limits.write_buffer_bytes = 256 << 10;  // several tables from 6 MB of values
  DbSettings settings(limits);
  const int kKeys = 6000;
  int fds_before = TableReadEnvOpenFiles();
  {
    std::unique_ptr<leveldb::DB> db = OpenDb(dir.path(), settings);
    ASSERT_TRUE(db);
    for (int i = 0; i < kKeys; i += 100) {
      leveldb::WriteBatch b;
      for (int j = i; j < i + 100; ++j) b.Put(KeyOf(j), ValueOf(j));
      ASSERT_TRUE(db->Write(leveldb::WriteOptions(), &b).ok());
    }
    db->CompactRange(nullptr, nullptr);
    std::string files;
    ASSERT_TRUE(db->GetProperty("leveldb.num-files-at-level1", &files));
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    for (int i = 0; i < kKeys; ++i) {
      std::string v;
      ASSERT_TRUE(db->Get(ro, KeyOf(i), &v).ok()) << i;
      ASSERT_EQ(v, ValueOf(i)) << i;
    }
    std::string absent;
    EXPECT_TRUE(db->Get(ro, "k99999999", &absent).IsNotFound());
    EXPECT_EQ(MappedFilesUnder(dir.path()), 0);
    EXPECT_GT(settings.block_cache_usage(), 0u);
    EXPECT_LE(settings.block_cache_usage(), limits.block_cache_bytes);
    EXPECT_GT(TableReadEnvOpenFiles(), fds_before);
    EXPECT_GT(ApproximateMemoryUsage(db.get()), 0u);
  }
  EXPECT_EQ(TableReadEnvOpenFiles(), fds_before);
}

TEST(DbOptions, PreadFileReadsRangesAndReportsMissingFiles) {
  ScratchDir dir;
  std::string path = dir.path() + "/f";
  {
    std::ofstream f(path, std::ios::binary);
    f << "0123456789";
  }
  leveldb::RandomAccessFile* raw = nullptr;
  ASSERT_TRUE(TableReadEnv()->NewRandomAccessFile(path, &raw).ok());
  std::unique_ptr<leveldb::RandomAccessFile> file(raw);
  char scratch[16];
  leveldb::Slice got;
  ASSERT_TRUE(file->Read(3, 4, &got, scratch).ok());
  EXPECT_EQ(got.ToString(), "3456");
  ASSERT_TRUE(file->Read(8, 10, &got, scratch).ok());  // short at the end of the file
  EXPECT_EQ(got.ToString(), "89");
  ASSERT_TRUE(file->Read(20, 4, &got, scratch).ok());
  EXPECT_EQ(got.size(), 0u);
  leveldb::RandomAccessFile* none = nullptr;
  EXPECT_TRUE(TableReadEnv()->NewRandomAccessFile(dir.path() + "/absent", &none).IsNotFound());
  EXPECT_EQ(none, nullptr);
}

TEST(DbOptions, TheNodesDatabasesHaveStatedBudgets) {
  for (const DbLimits& l : {BlockStoreLimits(), StateStoreLimits(), RaftLogLimits()}) {
    EXPECT_EQ(l.BudgetBytes(), l.block_cache_bytes + 2 * l.write_buffer_bytes +
                                   uint64_t(l.max_open_files) * (16 << 10));
  }
  // The budgets docs/operations.md states ("Memory"); change both together.
  EXPECT_EQ(BlockStoreLimits().BudgetBytes() >> 20, 63u);
  EXPECT_EQ(StateStoreLimits().BudgetBytes() >> 20, 95u);
  EXPECT_EQ(RaftLogLimits().BudgetBytes() >> 20, 10u);
  EXPECT_GT(BlockStoreLimits().bloom_bits_per_key, 0);
  EXPECT_GT(StateStoreLimits().bloom_bits_per_key, 0);
}

}  // namespace
}  // namespace traceledger::storage

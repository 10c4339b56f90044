#include "ledger/db_options.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
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

// Resident bytes of this process's mappings of files under `dir` (the Rss
// lines of /proc/self/smaps), and how many such mappings there are.
uint64_t MappedResidentUnder(const std::string& dir, int* mappings) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_dir = false;
  uint64_t kb = 0;
  *mappings = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
        line.find('-') != std::string::npos && line.find(' ') > line.find('-')) {
      in_dir = line.find(dir) != std::string::npos;  // a mapping's first line
      if (in_dir) ++*mappings;
    } else if (in_dir && line.rfind("Rss:", 0) == 0) {
      kb += std::strtoull(line.c_str() + 4, nullptr, 10);
    }
  }
  return kb * 1024;
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

// Tables are mapped, but their pages do not pile up in the process: once the
// reads returned the budget's worth of bytes, the mapped pages are dropped,
// and every value still reads back. The block cache fills within its limit.
TEST(DbOptions, MappedTablesStayWithinTheirBudget) {
  ScratchDir dir;
  DbLimits limits;
  limits.block_cache_bytes = 256 << 10;
  limits.write_buffer_bytes = 256 << 10;  // several tables from 6 MB of values
  DbSettings settings(limits);
  const int kKeys = 6000;
  const uint64_t kBudget = 512 << 10;
  SetMappedTableBudgetForTest(kBudget);
  {
    std::unique_ptr<leveldb::DB> db = OpenDb(dir.path(), settings);
    ASSERT_TRUE(db);
    for (int i = 0; i < kKeys; i += 100) {
      leveldb::WriteBatch b;
      for (int j = i; j < i + 100; ++j) b.Put(KeyOf(j), ValueOf(j));
      ASSERT_TRUE(db->Write(leveldb::WriteOptions(), &b).ok());
    }
    db->CompactRange(nullptr, nullptr);
    uint64_t trims = TableReadEnvTrims();
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;  // every read goes to the table file
    uint64_t most = 0;
    int mappings = 0;
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < kKeys; ++i) {
        std::string v;
        ASSERT_TRUE(db->Get(ro, KeyOf(i), &v).ok()) << i;
        ASSERT_EQ(v, ValueOf(i)) << i;
        if (i % 500 == 0) most = std::max(most, MappedResidentUnder(dir.path(), &mappings));
      }
    }
    EXPECT_GT(mappings, 1);  // the tables are mapped
    EXPECT_GT(TableReadEnvTrims(), trims + 4);
    // The budget, plus the pages of the tables' index and filter blocks (read
    // in place by every lookup, not counted as reads): ~24 tables here.
    EXPECT_LE(most, kBudget + (512 << 10));
    std::string absent;
    EXPECT_TRUE(db->Get(ro, "k99999999", &absent).IsNotFound());
    ASSERT_TRUE(db->Get(leveldb::ReadOptions(), KeyOf(7), &absent).ok());
    EXPECT_GT(settings.block_cache_usage(), 0u);
    EXPECT_LE(settings.block_cache_usage(), limits.block_cache_bytes);
    EXPECT_GT(ApproximateMemoryUsage(db.get()), 0u);
  }
  int mappings = 0;
  MappedResidentUnder(dir.path(), &mappings);
  EXPECT_EQ(mappings, 0);  // closed tables are unmapped
  SetMappedTableBudgetForTest(kMappedTableBudgetBytes);
}

TEST(DbOptions, TableFilesReadRangesAndReportMissingFiles) {
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
  ASSERT_TRUE(file->Read(8, 2, &got, scratch).ok());
  EXPECT_EQ(got.ToString(), "89");
  EXPECT_FALSE(file->Read(8, 10, &got, scratch).ok());  // past the end of a mapped file
  // An empty file cannot be mapped: read with pread, a read past the end is empty.
  std::string empty = dir.path() + "/empty";
  { std::ofstream f(empty, std::ios::binary); }
  raw = nullptr;
  ASSERT_TRUE(TableReadEnv()->NewRandomAccessFile(empty, &raw).ok());
  std::unique_ptr<leveldb::RandomAccessFile> efile(raw);
  ASSERT_TRUE(efile->Read(0, 4, &got, scratch).ok());
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

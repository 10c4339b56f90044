// TraceAnswerCache (api/trace_cache.h): one generation at a time, LRU within
// its byte bound, keys from path and query.
#include "api/trace_cache.h"

#include <gtest/gtest.h>

namespace traceledger::api {
namespace {

HttpResponse Answer(const std::string& body) {
  HttpResponse r;
  r.body = body;
  return r;
}

TEST(TraceAnswerCacheTest, ServesOnlyTheGenerationItWasBuiltAt) {
  TraceAnswerCache c(1 << 20, /*admit_after=*/1);
  HttpResponse out;
  EXPECT_FALSE(c.Get(5, "k", &out));
  c.Put(5, "k", Answer("v5"));
  ASSERT_TRUE(c.Get(5, "k", &out));
  EXPECT_EQ(out.body, "v5");
  EXPECT_FALSE(c.Get(6, "k", &out));  // the stores moved on: not served
  c.Put(6, "other", Answer("v6"));    // the next Put drops the older entries
  EXPECT_EQ(c.entries(), 1u);
  c.Put(5, "k", Answer("late"));  // built from older reads: not kept
  EXPECT_FALSE(c.Get(6, "k", &out));
  EXPECT_EQ(c.entries(), 1u);
  c.Put(7, "k", Answer("v7"));  // a newer generation replaces the cache
  EXPECT_FALSE(c.Get(6, "k", &out));
  ASSERT_TRUE(c.Get(7, "k", &out));
  EXPECT_EQ(out.body, "v7");
  EXPECT_EQ(c.hits(), 2u);
}

TEST(TraceAnswerCacheTest, BoundedInBytesLeastRecentlyUsedFirst) {
  TraceAnswerCache c(8000, /*admit_after=*/1);
  std::string body(500, 'x');
  HttpResponse out;
  for (int i = 0; i < 8; ++i) c.Put(1, "k" + std::to_string(i), Answer(body));
  EXPECT_LE(c.bytes(), 8000u);
  EXPECT_TRUE(c.Get(1, "k0", &out));  // k0 becomes the most recent
  for (int i = 8; i < 30; ++i) c.Put(1, "k" + std::to_string(i), Answer(body));
  EXPECT_LE(c.bytes(), 8000u);
  EXPECT_LT(c.entries(), 30u);
  EXPECT_FALSE(c.Get(1, "k1", &out));               // evicted
  EXPECT_TRUE(c.Get(1, "k29", &out));               // the newest stays
  c.Put(1, "big", Answer(std::string(2000, 'y')));  // over max_bytes / 8
  EXPECT_FALSE(c.Get(1, "big", &out));
}

TEST(TraceAnswerCacheTest, KeyHoldsPathAndEveryQueryParameter) {
  HttpRequest a, b, c;
  ASSERT_TRUE(ParseTarget("/v1/trace/X?events_from=1&events_limit=2", &a));
  ASSERT_TRUE(ParseTarget("/v1/trace/X?events_limit=2&events_from=1", &b));
  ASSERT_TRUE(ParseTarget("/v1/trace/X?events_from=12", &c));
  EXPECT_EQ(TraceAnswerCache::KeyOf(a), TraceAnswerCache::KeyOf(b));
  EXPECT_NE(TraceAnswerCache::KeyOf(a), TraceAnswerCache::KeyOf(c));
  HttpRequest d, e;
  ASSERT_TRUE(ParseTarget("/v1/trace/X%0Aa=1", &d));  // decoded bytes cannot forge a split
  ASSERT_TRUE(ParseTarget("/v1/trace/X?a=1", &e));
  EXPECT_NE(TraceAnswerCache::KeyOf(d), TraceAnswerCache::KeyOf(e));
}

}  // namespace
}  // namespace traceledger::api

namespace traceledger::api {
namespace {

TEST(TraceAnswerCacheTest, WhenFullKeepsAnAnswerOnlyOnceItsKeyMissedTwice) {
  TraceAnswerCache c(8000);  // the node's policy: admit_after = 2
  HttpResponse out;
  const std::string body(800, 'x');  // ~940 bytes an entry: eight fit
  for (int i = 0; i < 9; ++i) {      // room: kept from the first miss
    std::string k = "k" + std::to_string(i);
    EXPECT_FALSE(c.Get(1, k, &out));
    c.Put(1, k, Answer(body));
  }
  EXPECT_EQ(c.entries(), 8u);  // the ninth did not fit: not asked for twice yet
  EXPECT_FALSE(c.Get(1, "once", &out));
  c.Put(1, "once", Answer(body));  // full, asked for once: not kept, nothing pushed out
  EXPECT_FALSE(c.Get(1, "once", &out));
  EXPECT_EQ(c.entries(), 8u);
  ASSERT_TRUE(c.Get(1, "k0", &out));
  c.Put(1, "once", Answer(body));  // the second miss: kept, the least recently used goes
  ASSERT_TRUE(c.Get(1, "once", &out));
  EXPECT_TRUE(c.Get(1, "k0", &out));
  EXPECT_FALSE(c.Get(1, "k1", &out));
  c.Put(1, "never-asked", Answer(body));  // built without a Get while full: not kept
  EXPECT_FALSE(c.Get(1, "never-asked", &out, /*count_miss=*/false));
  // A second look for the same request does not count as demand.
  EXPECT_FALSE(c.Get(1, "k9", &out));
  EXPECT_FALSE(c.Get(1, "k9", &out, /*count_miss=*/false));
  c.Put(1, "k9", Answer(body));
  EXPECT_FALSE(c.Get(1, "k9", &out, /*count_miss=*/false));
  // A newer generation drops everything held: room again.
  c.Put(2, "k9", Answer(body));
  ASSERT_TRUE(c.Get(2, "k9", &out));
}

// BlockProofCache: entries written in place into an answer, LRU in bytes.
TEST(BlockProofCacheTest, WritesKeptEntriesIntoTheAnswer) {
  BlockProofCache c(1 << 20);
  std::string out;
  JsonWriter w(&out);
  int64_t t = 0;
  w.BeginArray();
  EXPECT_FALSE(c.WriteEntry(3, &w));
  EXPECT_FALSE(c.Time(3, &t));
  c.Put(3, 1767225600123, R"({"height":3})");
  c.Put(4, 1767225601000, R"({"height":4})");
  EXPECT_TRUE(c.WriteEntry(3, &w));
  EXPECT_TRUE(c.WriteEntry(4, &w));
  w.EndArray();
  EXPECT_EQ(out, R"([{"height":3},{"height":4}])");  // separators as for any value
  ASSERT_TRUE(c.Time(3, &t));
  EXPECT_EQ(t, 1767225600123);
  c.Put(3, 1, R"({"other":1})");  // an entry is never replaced (blocks never change)
  ASSERT_TRUE(c.Time(3, &t));
  EXPECT_EQ(t, 1767225600123);
  EXPECT_EQ(c.hits(), 2u);
  EXPECT_EQ(c.misses(), 1u);
}

TEST(BlockProofCacheTest, BoundedInBytesLeastRecentlyUsedFirst) {
  BlockProofCache c(4000);
  std::string entry(900, 'x');
  for (uint64_t h = 0; h < 4; ++h) c.Put(h, 0, entry);
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  EXPECT_TRUE(c.WriteEntry(0, &w));  // 0 is now the most recently used
  c.Put(4, 0, entry);                // over 4000 bytes: the least recently used (1) goes
  EXPECT_LE(c.entries(), 4u);
  int64_t t;
  EXPECT_TRUE(c.Time(0, &t));
  EXPECT_FALSE(c.Time(1, &t));
  EXPECT_TRUE(c.Time(4, &t));
  c.Put(9, 0, std::string(5000, 'y'));  // larger than the whole cache: not kept
  EXPECT_FALSE(c.Time(9, &t));
}

}  // namespace
}  // namespace traceledger::api

namespace traceledger::api {
namespace {

TEST(FragmentCacheTest, OneGenerationAtATimeAndBounded) {
  FragmentCache c;
  auto written = [&](uint64_t gen, const std::string& key) {
    std::string out;
    JsonWriter w(&out);
    return c.Write(gen, key, &w) ? out : std::string("<none>");
  };
  c.Put(4, "pX", R"({"uscc":"X"})");
  EXPECT_EQ(written(4, "pX"), R"({"uscc":"X"})");
  EXPECT_EQ(written(5, "pX"), "<none>");  // the state moved on
  c.Put(3, "pY", "1");                    // rendered from older reads: not kept
  EXPECT_EQ(written(4, "pY"), "<none>");
  c.Put(5, "pY", "2");  // a newer generation starts over
  EXPECT_EQ(written(4, "pX"), "<none>");
  EXPECT_EQ(written(5, "pY"), "2");
  for (size_t i = 0; i < FragmentCache::kMaxFragments + 10; ++i) c.Put(5, std::to_string(i), "0");
  EXPECT_LE(c.entries(), FragmentCache::kMaxFragments);
}

}  // namespace
}  // namespace traceledger::api

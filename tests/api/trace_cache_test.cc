// TraceAnswerCache (api/trace_cache.h): answers dropped exactly when
// something they read is written, LRU within its byte bound, keys from path
// and query; BlockProofCache and FragmentCache.
#include "api/trace_cache.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

namespace traceledger::api {
namespace {

HttpResponse Answer(const std::string& body) {
  HttpResponse r;
  r.body = body;
  return r;
}

// The node's stores as the cache sees them: state applies (the keys each
// wrote) and block-store writes (an append, or an attestation of a height).
class FakeChanges : public StoreChanges {
 public:
  static constexpr uint64_t kAppend = ~uint64_t{0};
  node::ReadPoint read_point() const override { return {block_writes.size(), applies.size()}; }
  bool Between(const node::ReadPoint& from, const node::ReadPoint& to,
               const std::function<void(std::string_view key)>& on_key,
               const std::function<void(uint64_t height)>& on_attested) const override {
    if (during_between) std::exchange(during_between, nullptr)();  // once
    if (from.state < forgotten_before) return false;
    for (uint64_t g = from.state; g < to.state; ++g)
      for (const auto& k : applies[g]) on_key(k);
    for (uint64_t g = from.blocks; g < to.blocks; ++g)
      if (block_writes[g] != kAppend) on_attested(block_writes[g]);
    return true;
  }
  int64_t latest_block_time() const override { return time; }

  void Write(std::vector<std::string> keys) { applies.push_back(std::move(keys)); }
  void Attest(uint64_t height) { block_writes.push_back(height); }
  void Append(int64_t t) {
    block_writes.push_back(kAppend);
    time = t;
  }

  std::vector<std::vector<std::string>> applies;  // [g]: the apply that made generation g + 1
  std::vector<uint64_t> block_writes;
  uint64_t forgotten_before = 0;
  int64_t time = 0;
  // Runs inside the next Between: what other threads do while a look has
  // let go of the cache's lock.
  mutable std::function<void()> during_between;
};

AnswerDeps Reads(std::vector<std::string> keys, std::vector<std::string> prefixes = {}) {
  AnswerDeps d;
  d.keys = std::move(keys);
  d.prefixes = std::move(prefixes);
  return d;
}

TEST(TraceAnswerCacheTest, DropsOnlyTheAnswersThatReadAWrittenKey) {
  FakeChanges f;
  TraceAnswerCache c(&f, 1 << 20, /*admit_after=*/1);
  HttpResponse out;
  EXPECT_FALSE(c.Get("A", &out));
  c.Put(f.read_point(), "A", Answer("a1"), Reads({"c|A", "p|P", "c|A"}));
  c.Put(f.read_point(), "B", Answer("b1"), Reads({"c|B", "p|P"}));
  ASSERT_TRUE(c.Get("A", &out));
  EXPECT_EQ(out.body, "a1");
  f.Write({"c|A", "ce|A|0000000001", "x|events"});  // a new event for A
  EXPECT_FALSE(c.Get("A", &out));
  ASSERT_TRUE(c.Get("B", &out));  // B read nothing that was written
  EXPECT_EQ(out.body, "b1");
  EXPECT_EQ(c.invalidated(), 1u);
  f.Write({"p|P"});  // the product both read: B goes too
  EXPECT_FALSE(c.Get("B", &out));
  EXPECT_EQ(c.entries(), 0u);
  EXPECT_EQ(c.bytes(), 0u);
  EXPECT_EQ(c.hits(), 2u);
}

TEST(TraceAnswerCacheTest, ScansAttestationsAndExpiryAreDependenciesToo) {
  FakeChanges f;
  TraceAnswerCache c(&f, 1 << 20, /*admit_after=*/1);
  HttpResponse out;
  c.Put(f.read_point(), "events", Answer("1"), Reads({}, {"ce|A|"}));
  c.Put(f.read_point(), "odd", Answer("2"), Reads({}, {"ce|B"}));  // not cut at a '|'
  AnswerDeps attested;
  attested.attested = {7};
  c.Put(f.read_point(), "attested", Answer("3"), attested);
  AnswerDeps expiring;
  expiring.valid_before_time = 1000;
  c.Put(f.read_point(), "expiring", Answer("4"), expiring);
  EXPECT_EQ(c.entries(), 4u);

  f.Write({"ce|AB|0000000001", "ce|", "c|A"});  // under neither prefix
  f.Attest(8);
  f.Append(999);
  for (const char* k : {"events", "odd", "attested", "expiring"}) EXPECT_TRUE(c.Get(k, &out)) << k;
  f.Write({"ce|A|0000000002"});
  EXPECT_FALSE(c.Get("events", &out));
  EXPECT_TRUE(c.Get("odd", &out));
  f.Write({"ce|BX|0000000001"});  // "ce|B" is a prefix of it
  EXPECT_FALSE(c.Get("odd", &out));
  f.Attest(7);  // another validator attested block 7
  EXPECT_FALSE(c.Get("attested", &out));
  EXPECT_TRUE(c.Get("expiring", &out));
  f.Append(1000);  // the item is expired now: the answer would say so
  EXPECT_FALSE(c.Get("expiring", &out));
  EXPECT_EQ(c.entries(), 0u);
  EXPECT_EQ(c.invalidated(), 4u);

  c.Put(f.read_point(), "all", Answer("5"), Reads({}, {""}));  // a scan of everything
  f.Write({"zzz"});
  EXPECT_FALSE(c.Get("all", &out));
}

TEST(TraceAnswerCacheTest, KeepsOnlyAnswersWhoseLaterWritesItWillStillCheck) {
  FakeChanges f;
  TraceAnswerCache c(&f, 1 << 20, /*admit_after=*/1);
  HttpResponse out;
  node::ReadPoint start = f.read_point();
  // A write lands while the answer is built; the cache has not looked past
  // `start`: kept, and at once checked against that write.
  f.Write({"c|A"});
  c.Put(start, "A", Answer("stale"), Reads({"c|A"}));
  EXPECT_EQ(c.entries(), 0u);
  EXPECT_EQ(c.invalidated(), 1u);
  start = f.read_point();
  f.Write({"c|A"});
  c.Put(start, "B", Answer("b"), Reads({"c|B"}));  // kept: the write is not one of its reads
  EXPECT_TRUE(c.Get("B", &out));
  // The cache has now looked past `start`: an answer from reads that began
  // there is not kept (a write it may have missed was already checked).
  c.Put(start, "C", Answer("c"), Reads({"c|C"}));
  EXPECT_FALSE(c.Get("C", &out));
  c.Put(f.read_point(), "C", Answer("c"), Reads({"c|C"}));
  EXPECT_TRUE(c.Get("C", &out));
  // Attestations looked at (by the door) after `start`: an answer is kept
  // unless one was of a block it shows.
  start = f.read_point();
  f.Attest(3);
  EXPECT_TRUE(c.Get("C", &out, /*count_miss=*/true, /*may_look=*/false));
  AnswerDeps shows3 = Reads({"c|D"}), shows4 = Reads({"c|E"});
  shows3.attested = {3};
  shows4.attested = {4};
  c.Put(start, "D", Answer("d"), shows3);
  c.Put(start, "E", Answer("e"), shows4);
  EXPECT_FALSE(c.Get("D", &out));
  EXPECT_TRUE(c.Get("E", &out));
}

// A look hashes the written keys without the cache's lock; an answer Put
// meanwhile, of a kind of key no answer held depended on before, is still
// checked against those writes.
TEST(TraceAnswerCacheTest, AnswersPutDuringALookAreCheckedByIt) {
  FakeChanges f;
  TraceAnswerCache c(&f, 1 << 20, /*admit_after=*/1);
  HttpResponse out;
  c.Put(f.read_point(), "A", Answer("a"), Reads({"c|A"}));
  const node::ReadPoint start = f.read_point();
  f.Write({"r|RC-1"});  // a recall written after `start`
  f.during_between = [&] { c.Put(start, "R", Answer("not recalled"), Reads({"r|RC-1"})); };
  EXPECT_FALSE(c.Get("R", &out));  // the look ran, with R Put in the middle of it
  EXPECT_FALSE(c.Get("R", &out));
  EXPECT_TRUE(c.Get("A", &out));
  EXPECT_EQ(c.cleared(), 0u);  // R was matched, not swept away with everything
}

// The same with a prefix of a length no held answer scanned: the written
// keys were not cut at it, so the look drops everything.
TEST(TraceAnswerCacheTest, ANewOddPrefixDuringALookDropsEverything) {
  FakeChanges f;
  TraceAnswerCache c(&f, 1 << 20, /*admit_after=*/1);
  HttpResponse out;
  c.Put(f.read_point(), "A", Answer("a"), Reads({"c|A"}));
  const node::ReadPoint start = f.read_point();
  f.Write({"r|RC-1"});
  f.during_between = [&] { c.Put(start, "O", Answer("odd"), Reads({}, {"r|R"})); };
  EXPECT_FALSE(c.Get("O", &out));
  EXPECT_FALSE(c.Get("A", &out));
  EXPECT_EQ(c.cleared(), 1u);
}

TEST(TraceAnswerCacheTest, ForgottenChangesDropEverything) {
  FakeChanges f;
  TraceAnswerCache c(&f, 1 << 20, /*admit_after=*/1);
  HttpResponse out;
  c.Put(f.read_point(), "A", Answer("a"), Reads({"c|A"}));
  ASSERT_TRUE(c.Get("A", &out));
  f.Write({"c|B"});
  f.forgotten_before = 1;  // the node's log no longer reaches back to the cache's point
  EXPECT_FALSE(c.Get("A", &out));
  EXPECT_EQ(c.cleared(), 1u);
  c.Put(f.read_point(), "A", Answer("a"), Reads({"c|A"}));
  EXPECT_TRUE(c.Get("A", &out));
}

// Thousands of answers that read one key (a lot's record, a product) are
// dropped in time linear in their number; the I/O threads look only at
// block-store writes, a worker at the state's.
TEST(TraceAnswerCacheTest, ManyAnswersOfOneKeyAndTheDoorsLimit) {
  FakeChanges f;
  TraceAnswerCache c(&f, 256 << 20, /*admit_after=*/1);
  HttpResponse out;
  constexpr int kAnswers = 20000;
  for (int i = 0; i < kAnswers; ++i) {
    c.Put(f.read_point(), "k" + std::to_string(i), Answer("x"),
          Reads({"c|" + std::to_string(i), "l|P|LOT", "p|P", "e|MAKER", "k|MAKER"},
                {"d|P|LOT|", "le|P|LOT|"}));
  }
  ASSERT_EQ(c.entries(), static_cast<size_t>(kAnswers));
  f.Write({"l|P|LOT", "le|P|LOT|0000000001"});  // a recall of the lot: every answer goes
  EXPECT_FALSE(c.Get("k1", &out));  // quadratic before: ~3 s at this size; now milliseconds
  EXPECT_EQ(c.entries(), 0u);
  EXPECT_EQ(c.invalidated(), static_cast<uint64_t>(kAnswers));

  AnswerDeps a = Reads({"c|A"});
  a.attested = {9};
  c.Put(f.read_point(), "A", Answer("a"), a);
  f.Attest(8);  // block-store writes: the door looks at them itself
  EXPECT_TRUE(c.Get("A", &out, /*count_miss=*/true, /*may_look=*/false));
  for (int i = 0; i < 100; ++i) f.Write({"x|" + std::to_string(i)});
  // A block's state writes: the door does not look (a miss), a worker does.
  EXPECT_FALSE(c.Get("A", &out, /*count_miss=*/true, /*may_look=*/false));
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_TRUE(c.Get("A", &out));  // the worker's look: A read none of them
  EXPECT_TRUE(c.Get("A", &out, /*count_miss=*/true, /*may_look=*/false));
  f.Attest(9);  // the block A shows gained an attestation
  EXPECT_FALSE(c.Get("A", &out, /*count_miss=*/true, /*may_look=*/false));
  EXPECT_EQ(c.entries(), 0u);
  EXPECT_EQ(c.keys_looked_at(), 102u);  // the 100 counters and the recall's two
}

TEST(TraceAnswerCacheTest, BoundedInBytesLeastRecentlyUsedFirst) {
  FakeChanges f;
  TraceAnswerCache c(&f, 8000, /*admit_after=*/1);
  std::string body(500, 'x');
  HttpResponse out;
  for (int i = 0; i < 8; ++i) c.Put({}, "k" + std::to_string(i), Answer(body), Reads({"c|k"}));
  EXPECT_LE(c.bytes(), 8000u);
  EXPECT_TRUE(c.Get("k0", &out));  // k0 becomes the most recent
  for (int i = 8; i < 30; ++i) c.Put({}, "k" + std::to_string(i), Answer(body), Reads({"c|k"}));
  EXPECT_LE(c.bytes(), 8000u);
  EXPECT_LT(c.entries(), 30u);
  EXPECT_FALSE(c.Get("k1", &out));                       // evicted
  EXPECT_TRUE(c.Get("k29", &out));                       // the newest stays
  c.Put({}, "big", Answer(std::string(2000, 'y')), {});  // over max_bytes / 8
  EXPECT_FALSE(c.Get("big", &out));
  // Evicted entries left the dependency index: a write of the key they all
  // read drops exactly the ones still held.
  const size_t held = c.entries();
  f.Write({"c|k"});
  EXPECT_FALSE(c.Get("k29", &out));
  EXPECT_EQ(c.entries(), 0u);
  EXPECT_EQ(c.invalidated(), held);
}

TEST(TraceAnswerCacheTest, KeyHoldsPathAndEveryQueryParameter) {
  HttpRequest a, b, c;
  ASSERT_TRUE(ParseTarget("/v1/trace/X?events_from=1&events_limit=2", &a).ok());
  ASSERT_TRUE(ParseTarget("/v1/trace/X?events_limit=2&events_from=1", &b).ok());
  ASSERT_TRUE(ParseTarget("/v1/trace/X?events_from=12", &c).ok());
  EXPECT_EQ(TraceAnswerCache::KeyOf(a), TraceAnswerCache::KeyOf(b));
  EXPECT_NE(TraceAnswerCache::KeyOf(a), TraceAnswerCache::KeyOf(c));
  HttpRequest d, e;
  ASSERT_TRUE(ParseTarget("/v1/trace/X%0Aa=1", &d).ok());  // decoded bytes cannot forge a split
  ASSERT_TRUE(ParseTarget("/v1/trace/X?a=1", &e).ok());
  EXPECT_NE(TraceAnswerCache::KeyOf(d), TraceAnswerCache::KeyOf(e));
}

}  // namespace
}  // namespace traceledger::api

namespace traceledger::api {
namespace {

TEST(TraceAnswerCacheTest, WhenFullKeepsAnAnswerOnlyOnceItsKeyMissedTwice) {
  FakeChanges f;
  TraceAnswerCache c(&f, 8000);  // the node's policy: admit_after = 2
  HttpResponse out;
  const std::string body(700, 'x');  // ~920 bytes an entry: eight fit
  auto put = [&](const std::string& k) { c.Put(f.read_point(), k, Answer(body), AnswerDeps{}); };
  for (int i = 0; i < 9; ++i) {  // room: kept from the first miss
    std::string k = "k" + std::to_string(i);
    EXPECT_FALSE(c.Get(k, &out));
    put(k);
  }
  EXPECT_EQ(c.entries(), 8u);  // the ninth did not fit: not asked for twice yet
  EXPECT_FALSE(c.Get("once", &out));
  put("once");  // full, asked for once: not kept, nothing pushed out
  EXPECT_FALSE(c.Get("once", &out));
  EXPECT_EQ(c.entries(), 8u);
  ASSERT_TRUE(c.Get("k0", &out));
  put("once");  // the second miss: kept, the least recently used goes
  ASSERT_TRUE(c.Get("once", &out));
  EXPECT_TRUE(c.Get("k0", &out));
  EXPECT_FALSE(c.Get("k1", &out));
  put("never-asked");  // built without a Get while full: not kept
  EXPECT_FALSE(c.Get("never-asked", &out, /*count_miss=*/false));
  // A second look for the same request does not count as demand.
  EXPECT_FALSE(c.Get("k9", &out));
  EXPECT_FALSE(c.Get("k9", &out, /*count_miss=*/false));
  put("k9");
  EXPECT_FALSE(c.Get("k9", &out, /*count_miss=*/false));
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

TEST(FragmentCacheTest, OneReadPointAtATimeAndBounded) {
  FragmentCache c;
  AnswerDeps deps;
  auto written = [&](node::ReadPoint at, const std::string& key) {
    std::string out;
    JsonWriter w(&out);
    return c.Write(at, key, &w, &deps) ? out : std::string("<none>");
  };
  c.Put({4, 4}, "pX", R"({"uscc":"X"})", {"e|X"});
  EXPECT_EQ(written({4, 4}, "pX"), R"({"uscc":"X"})");
  EXPECT_EQ(deps.keys, std::vector<std::string>{"e|X"});  // the answer depends on its reads
  EXPECT_EQ(written({4, 5}, "pX"), "<none>");             // the state moved on
  // Same sum, other stores: a point read across another's write is not the same point.
  EXPECT_EQ(written({5, 3}, "pX"), "<none>");
  c.Put({3, 4}, "pY", "1", {});  // rendered from older reads: not kept
  c.Put({5, 3}, "pY", "1", {});  // nor from reads that are not later in both stores
  EXPECT_EQ(written({4, 4}, "pY"), "<none>");
  c.Put({4, 5}, "pY", "2", {});  // a later point starts over
  EXPECT_EQ(written({4, 4}, "pX"), "<none>");
  EXPECT_EQ(written({4, 5}, "pY"), "2");
  for (size_t i = 0; i < FragmentCache::kMaxFragments + 10; ++i)
    c.Put({4, 5}, std::to_string(i), "0", {});
  EXPECT_LE(c.entries(), FragmentCache::kMaxFragments);
}

}  // namespace
}  // namespace traceledger::api

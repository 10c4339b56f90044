// A node whose data directory fills up under load, on a real disk
// (docs/node.md, "Failing disks"): each node's data directory is its own small
// tmpfs; once the nodes run, a ballast file leaves a node a few hundred
// kilobytes, and clients keep submitting. The node must stop acknowledging
// with a clear error (503 STOPPED; FATAL and the disk's error in its log),
// never acknowledge a transaction it then loses, and, once the ballast is
// removed, restart, keep every acknowledged transaction and pass
// `tracectl verify-chain`. For a --dev node and for the leader of a 3-node
// testnet (whose followers elect a new leader and go on meanwhile).
//
// Needs root (mount(2)); without it the program exits 77 (ctest: skipped).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "assert_ok.h"
#include "cluster.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

constexpr uint64_t kTmpfsBytes = 16 << 20;
constexpr uint64_t kHeadroomBytes = 256 << 10;  // left to the node once the ballast is in
constexpr int kMaxEnvelopes = 3000;             // the load is bounded in count...
constexpr int kLoadSeconds = 60;                // ... and in time

// A tmpfs mounted at `path` for the life of the object.
class Tmpfs {
 public:
  // "" on success, else why not.
  std::string Mount(const std::string& path, uint64_t bytes) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
      return "mount -t tmpfs -o " + opts + " " + path + ": " + std::strerror(errno);
    }
    path_ = path;
    return "";
  }
  ~Tmpfs() {
    if (!path_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }

 private:
  std::string path_;
};

uint64_t FreeBytes(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

// Fills the file system of `dir` with `dir`/ballast until `leave` bytes are free.
Status Fill(const std::string& dir, uint64_t leave) {
  uint64_t free = FreeBytes(dir);
  if (free <= leave) return Status::OK();
  std::ofstream out(dir + "/ballast", std::ios::binary);
  std::string chunk(64 << 10, '\0');
  uint64_t left = free - leave;
  while (left > 0 && out) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  out.close();
  if (!out) return Status::IOError("cannot write the ballast in " + dir);
  return Status::OK();
}

// Clients submitting enrolments (?wait=commit) from a few threads to the
// nodes in `targets`, until told to stop or out of envelopes or time.
class Load {
 public:
  Load(Cluster* c, std::vector<std::string> envelopes, std::vector<int> targets)
      : c_(c), envelopes_(std::move(envelopes)), targets_(std::move(targets)) {}

  void Start(int threads) {
    start_ = Clock::now();
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  // Waits until `pred()` holds (checked every 50 ms) or the load ends.
  template <typename Pred>
  bool WaitFor(Pred pred) {
    while (!pred()) {
      if (next_.load() >= static_cast<int>(envelopes_.size()) ||
          Clock::now() - start_ > std::chrono::seconds(kLoadSeconds))
        return pred();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  // What the clients were told.
  std::vector<std::string> acked() {
    std::lock_guard<std::mutex> l(mu_);
    return acked_;
  }
  size_t acked_count() {
    std::lock_guard<std::mutex> l(mu_);
    return acked_.size();
  }
  // Refusals by node and code ("STOPPED", "NO_LEADER", ...), and one message each.
  int refused(int node, const std::string& code) {
    std::lock_guard<std::mutex> l(mu_);
    return refusals_[{node, code}];
  }
  std::string message(const std::string& code) {
    std::lock_guard<std::mutex> l(mu_);
    return messages_[code];
  }
  std::string Summary() {
    std::lock_guard<std::mutex> l(mu_);
    std::string s = std::to_string(acked_.size()) + " acknowledged;";
    for (const auto& [k, n] : refusals_) {
      s += " n" + std::to_string(k.first + 1) + " " + k.second + " x" + std::to_string(n);
    }
    return s;
  }

 private:
  void Run(int t) {
    size_t turn = static_cast<size_t>(t);
    while (!stop_) {
      int i = next_.fetch_add(1);
      if (i >= static_cast<int>(envelopes_.size())) return;
      if (Clock::now() - start_ > std::chrono::seconds(kLoadSeconds)) return;
      int node = targets_[turn++ % targets_.size()];
      if (!c_->running(node)) continue;
      cli::SubmitOptions o;
      o.hash = c_->alg();
      o.wait_ms = 5000;
      o.deadline_ms = 15000;
      o.max_retries = 3;
      auto r = cli::SubmitEnvelope(c_->url(node), envelopes_[i], o);
      std::lock_guard<std::mutex> l(mu_);
      if (!r.ok()) {
        ++refusals_[{node, r.status().code()}];
        messages_[r.status().code()] = r.status().message();
      } else if (r->kind == cli::SubmitOutcome::kOk || r->kind == cli::SubmitOutcome::kRejected) {
        acked_.push_back(r->tx_id);  // committed (an enrolment is never rejected here)
      } else {
        ++refusals_[{node, r->code}];
        messages_[r->code] = r->message;
      }
    }
  }

  Cluster* c_;
  std::vector<std::string> envelopes_;
  std::vector<int> targets_;
  std::atomic<int> next_{0};
  std::atomic<bool> stop_{false};
  Clock::time_point start_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::string> acked_;
  std::map<std::pair<int, std::string>, int> refusals_;
  std::map<std::string, std::string> messages_;
};

std::vector<std::string> Envelopes(Cluster& c, int first, int count) {
  std::vector<std::string> out;
  for (int n = first; n < first + count; ++n) {
    auto e = c.EnrollEnvelope(n);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (e.ok()) out.push_back(*e);
  }
  return out;
}

// Every acknowledged transaction is on node i.
void ExpectAllThere(Cluster& c, int i, const std::vector<std::string>& ids) {
  int missing = 0;
  for (const auto& id : ids) {
    auto t = cli::GetJson(c.url(i), "/v1/transactions/" + id);
    if (!t.ok()) {
      if (++missing <= 3)
        ADD_FAILURE() << "n" << i + 1 << " lost acknowledged " << id << ": "
                      << t.status().ToString();
    }
  }
  EXPECT_EQ(missing, 0) << "of " << ids.size() << " acknowledged transactions";
}

void ExpectVerifyChain(Cluster& c, int i) {
  std::string log = c.dir() + "/verify-" + std::to_string(i) + ".log";
  int rc =
      RunProgram({TRACECTL_BIN, "verify-chain", "--data", c.data_dir(i) + "/blocks"}, log, 60000);
  EXPECT_EQ(rc, 0) << "verify-chain of n" << i + 1 << ": " << ReadAll(log);
}

// The node stopped on its full disk, says so, and refuses new work.
void ExpectStoppedOnFullDisk(Cluster& c, int i, Load& load) {
  EXPECT_GT(load.refused(i, "STOPPED"), 0) << load.Summary();
  EXPECT_NE(load.message("STOPPED").find("stopped"), std::string::npos) << load.message("STOPPED");
  std::string log = ReadAll(c.log_path(i));
  EXPECT_NE(log.find("FATAL"), std::string::npos) << c.LogTail(i);
  EXPECT_NE(log.find("No space left on device"), std::string::npos) << c.LogTail(i);
  // Still serving reads and status, refusing writes with a clear error.
  auto st = cli::GetJson(c.url(i), "/v1/status", 2000);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  if (st->contains("stopped_reason")) {
    EXPECT_NE((*st)["stopped_reason"].dump().find("No space"), std::string::npos) << st->dump();
  }
  auto env = c.EnrollEnvelope(900000 + i);
  ASSERT_TRUE(env.ok());
  cli::SubmitOptions o;
  o.hash = c.alg();
  o.max_retries = 0;
  auto r = cli::SubmitEnvelope(c.url(i), *env, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, cli::SubmitOutcome::kRefused);
  EXPECT_EQ(r->http_status, 503);
  EXPECT_EQ(r->code, "STOPPED") << r->message;
}

TEST(DiskFull, DevNodeStopsKeepsWhatItAcknowledgedAndRestarts) {
  TempDir tmp;
  Cluster c(tmp.path(), 0);
  ASSERT_OK(c.Create());
  Tmpfs fs;
  ASSERT_EQ(fs.Mount(c.data_dir(0), kTmpfsBytes), "");
  ASSERT_OK(c.Start(0));
  ASSERT_TRUE(c.WaitForLeader(20000).ok());
  std::vector<std::string> before;
  for (const auto& e : Envelopes(c, 1, 10)) {
    auto id = c.SubmitOk(0, e);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    before.push_back(*id);
  }

  ASSERT_OK(Fill(c.data_dir(0), kHeadroomBytes));
  Load load(&c, Envelopes(c, 100, kMaxEnvelopes), {0});
  load.Start(4);
  bool stopped = load.WaitFor([&] { return load.refused(0, "STOPPED") > 0; });
  load.Stop();
  ASSERT_TRUE(stopped) << "the node never stopped: " << load.Summary() << "\n" << c.LogTail(0);
  ExpectStoppedOnFullDisk(c, 0, load);
  std::vector<std::string> acked = load.acked();
  acked.insert(acked.end(), before.begin(), before.end());
  std::printf("dev node: %zu acknowledged, then stopped: %s\n", acked.size(),
              load.Summary().c_str());

  // The operator frees space and restarts it.
  ASSERT_OK(c.Stop(0, SIGTERM));
  std::filesystem::remove(c.data_dir(0) + "/ballast");
  ASSERT_OK(c.Start(0));
  ASSERT_TRUE(c.WaitForLeader(20000).ok()) << c.LogTail(0);
  ExpectAllThere(c, 0, acked);
  for (const auto& e : Envelopes(c, 5000, 5)) ASSERT_TRUE(c.SubmitOk(0, e).ok());
  ASSERT_OK(c.Stop(0, SIGTERM));
  ExpectVerifyChain(c, 0);
}

TEST(DiskFull, LeaderStopsTheOthersGoOnAndItCatchesUp) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  Tmpfs fs[3];
  for (int i = 0; i < 3; ++i) ASSERT_EQ(fs[i].Mount(c.data_dir(i), kTmpfsBytes), "");
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Start(i));
  auto leader = c.WaitForLeader(20000);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int l = *leader;
  std::vector<std::string> before;
  for (const auto& e : Envelopes(c, 1, 10)) {
    auto id = c.SubmitOk(l, e);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    before.push_back(*id);
  }

  ASSERT_OK(Fill(c.data_dir(l), kHeadroomBytes));
  Load load(&c, Envelopes(c, 100, kMaxEnvelopes), {0, 1, 2});
  load.Start(4);
  bool stopped = load.WaitFor([&] { return load.refused(l, "STOPPED") > 0; });
  size_t at_stop = load.acked_count();
  // The others elect a new leader and go on.
  bool went_on = stopped && load.WaitFor([&] { return load.acked_count() >= at_stop + 50; });
  load.Stop();
  ASSERT_TRUE(stopped) << "the leader never stopped: " << load.Summary() << "\n" << c.LogTail(l);
  ExpectStoppedOnFullDisk(c, l, load);
  EXPECT_TRUE(went_on) << "no progress without the stopped leader: " << load.Summary();
  std::vector<std::string> acked = load.acked();
  acked.insert(acked.end(), before.begin(), before.end());
  std::printf("leader n%d: %zu acknowledged (%zu after it stopped): %s\n", l + 1, acked.size(),
              acked.size() - before.size() - at_stop, load.Summary().c_str());

  ASSERT_OK(c.Stop(l, SIGTERM));
  ASSERT_TRUE(c.WaitForLeader(20000).ok());
  std::filesystem::remove(c.data_dir(l) + "/ballast");
  ASSERT_OK(c.Start(l));
  uint64_t h = 0;
  for (int i = 0; i < 3; ++i) h = std::max(h, c.Height(i));
  ASSERT_OK(c.WaitForHeight(h, 30000));
  ASSERT_OK(c.CompareBlocks(h));
  for (int i = 0; i < 3; ++i) ExpectAllThere(c, i, acked);
  for (const auto& e : Envelopes(c, 5000, 5)) ASSERT_TRUE(c.SubmitOk(l, e).ok());
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Stop(i, SIGTERM));
  for (int i = 0; i < 3; ++i) ExpectVerifyChain(c, i);
}

}  // namespace
}  // namespace traceledger::mp

// Exits 77 (skipped) where a tmpfs cannot be mounted.
int main(int argc, char** argv) {
  traceledger::mp::TempDir probe;
  {
    traceledger::mp::Tmpfs fs;
    std::string why = fs.Mount(probe.path() + "/probe", 1 << 20);
    if (!why.empty()) {
      std::printf(
          "SKIPPED: the disk-full tests mount a small tmpfs as a node's data directory "
          "and cannot here (%s); run them as root\n",
          why.c_str());
      return 77;
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

// The trace work queue (api/work_queue.h): jobs run, the queue is bounded, and
// its threads run at the lower priority they were given; the service's
// background threads (trace workers, the cockpit's follower) do.
#include "api/work_queue.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>

#include "test_node.h"

namespace traceledger::api {
namespace {

TEST(WorkQueue, RunsJobsAtTheLowerPriorityItWasGiven) {
  int base = ThreadNice();
  for (int increment : {0, 7, 40}) {
    WorkQueue q(2, 16, increment);
    std::vector<std::future<int>> seen;
    for (int i = 0; i < 4; ++i) {
      auto p = std::make_shared<std::promise<int>>();
      seen.push_back(p->get_future());
      ASSERT_TRUE(q.Post([p] { p->set_value(ThreadNice()); }));
    }
    for (auto& f : seen) EXPECT_EQ(f.get(), std::min(19, base + increment)) << increment;
  }
  EXPECT_EQ(ThreadNice(), base);  // the caller's own priority is untouched
}

TEST(WorkQueue, BoundedQueueRunsWhatItAcceptedBeforeStopping) {
  std::promise<void> started, release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> ran{0};
  auto q = std::make_unique<WorkQueue>(1, 2, 0);
  // The first job holds the only thread; two more fill the queue.
  ASSERT_TRUE(q->Post([&started, gate, &ran] {
    started.set_value();
    gate.wait();
    ++ran;
  }));
  started.get_future().wait();
  EXPECT_TRUE(q->Post([&ran] { ++ran; }));
  EXPECT_TRUE(q->Post([&ran] { ++ran; }));
  EXPECT_FALSE(q->Post([&ran] { ++ran; }));  // dropped
  release.set_value();
  q.reset();  // runs what was queued, then stops
  EXPECT_EQ(ran.load(), 3);
}

struct ThreadInfo {
  std::string name;
  int nice;
};

// Each thread of this process: its name and nice value (/proc/self/task).
std::vector<ThreadInfo> Threads() {
  std::vector<ThreadInfo> out;
  DIR* d = opendir("/proc/self/task");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string dir = std::string("/proc/self/task/") + e->d_name;
    std::ifstream f(dir + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // The fields after the name (which may hold spaces) start after the last ')'.
    auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    // Field 3 is the state; nice is field 19.
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) out.push_back({stat.substr(open + 1, close - open - 1), std::stoi(field)});
    }
  }
  closedir(d);
  return out;
}

TEST(WorkQueue, TheServicesBackgroundThreadsRunBelowItsIoThreads) {
  int base = ThreadNice();
  int low = std::min(19, base + kBackgroundNice);
  if (low == base) GTEST_SKIP() << "already at the lowest priority";
  auto count = [](const std::string& name, int nice) {
    int n = 0;
    for (const auto& t : Threads()) n += t.name == name && t.nice == nice;
    return n;
  };
  testing::TestNode n("workqueue-nice");
  ASSERT_TRUE(n.ok()) << n.error();
  // The trace workers and the cockpit's follower name themselves and lower
  // their own priority as they start; wait for them (bounded).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((count("trace-answers", low) < kTraceThreads || count("cockpit-follow", low) < 1) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(count("trace-answers", low), kTraceThreads);
  EXPECT_EQ(count("cockpit-follow", low), 1);
  // Nothing else runs that low: the node's own threads (its loop, transport,
  // verifiers) and this one keep the caller's priority.
  int low_threads = 0;
  for (const auto& t : Threads()) low_threads += t.nice == low;
  EXPECT_EQ(low_threads, kTraceThreads + 1);
  EXPECT_GT(Threads().size(), static_cast<size_t>(kTraceThreads + 1));
  EXPECT_EQ(ThreadNice(), base);
}

}  // namespace
}  // namespace traceledger::api

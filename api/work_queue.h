// A fixed set of threads running posted jobs in order, with a bounded queue.
// The API runs the expensive, uncached trace answers here so that the HTTP
// I/O threads stay free for cheap requests (the cockpit, cached answers,
// status): a slow answer delays only other slow answers.
//
// The threads may run at a lower scheduling priority than the rest of the
// process (a Linux per-thread nice value), so that when they keep every core
// busy the I/O threads still get a core as soon as a cheap request arrives.
//
// Thread-safety: Post may be called from any thread. The destructor stops the
// threads after the jobs already queued have run.
#ifndef TRACELEDGER_API_WORK_QUEUE_H_
#define TRACELEDGER_API_WORK_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace traceledger::api {

// The calling thread's nice value (Linux: per thread; -20 .. 19).
int ThreadNice();
// Raises the calling thread's nice value by `increment` (> 0 lowers its
// priority; capped at 19), for this thread only. A thread may always lower
// its own priority, so this only fails on a non-Linux kernel; it returns
// false then and the thread runs on unchanged.
bool LowerThreadPriority(int increment);
// Names the calling thread (at most 15 characters are kept) for top -H, ps -L
// and debuggers.
void NameThread(const char* name);

class WorkQueue {
 public:
  // `nice_increment` > 0 runs the threads that much below the priority of the
  // thread that constructs the queue (LowerThreadPriority); they are named
  // `name` (NameThread).
  WorkQueue(int threads, size_t max_queued, int nice_increment = 0,
            const char* name = "work-queue");
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `job`; false (and `job` dropped) when max_queued jobs are waiting.
  bool Post(std::function<void()> job);

 private:
  void Run();

  const size_t max_queued_;
  const int nice_increment_;
  const char* const name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_WORK_QUEUE_H_

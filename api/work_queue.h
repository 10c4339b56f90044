// A fixed set of threads running posted jobs in order, with a bounded queue.
// The API runs the expensive, uncached trace answers here so that the HTTP
// I/O threads stay free for cheap requests (the cockpit, cached answers,
// status): a slow answer delays only other slow answers.
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

class WorkQueue {
 public:
  WorkQueue(int threads, size_t max_queued);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `job`; false (and `job` dropped) when max_queued jobs are waiting.
  bool Post(std::function<void()> job);

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_WORK_QUEUE_H_

#include "api/work_queue.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace traceledger::api {

namespace {
// On Linux a nice value belongs to a thread: PRIO_PROCESS with a thread id
// reads or sets that thread's alone (setpriority(2), "BUGS").
id_t ThreadId() { return static_cast<id_t>(::syscall(SYS_gettid)); }
}  // namespace

int ThreadNice() {
  errno = 0;
  int n = ::getpriority(PRIO_PROCESS, ThreadId());
  return errno == 0 ? n : 0;
}

bool LowerThreadPriority(int increment) {
  if (increment <= 0) return true;
  int target = std::min(19, ThreadNice() + increment);
  return ::setpriority(PRIO_PROCESS, ThreadId(), target) == 0;
}

void NameThread(const char* name) {
  char n[16];
  std::snprintf(n, sizeof n, "%s", name);
  ::pthread_setname_np(::pthread_self(), n);
}

WorkQueue::WorkQueue(int threads, size_t max_queued, int nice_increment, const char* name)
    : max_queued_(max_queued), nice_increment_(nice_increment), name_(name) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

bool WorkQueue::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void WorkQueue::Run() {
  // A new thread starts with its creator's nice value; lower it from there.
  NameThread(name_);
  LowerThreadPriority(nice_increment_);
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and everything queued has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    // A job that throws must not end the thread (nor the process): its
    // captured Responder, destroyed unanswered with it, answers 500 and the
    // HTTP server logs it (api/http_server.h).
    try {
      job();
    } catch (...) {
    }
  }
}

}  // namespace traceledger::api

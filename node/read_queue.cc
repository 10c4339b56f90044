#include "node/read_queue.h"

#include <utility>
#include <vector>

namespace traceledger::node {
namespace {

std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

uint64_t FromBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

void ReadQueue::Add(int64_t deadline_ms, std::function<void(Status)> done) {
  Status refused;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) {
      refused = Status::Error("STOPPED", "the node is shutting down");
    } else if (reads_.size() >= max_) {
      refused = Status::Error("TOO_MANY_READS", std::to_string(max_) +
                                                    " consistent reads are waiting already; "
                                                    "retry shortly");
    } else {
      reads_.emplace(next_seq_++, Read{deadline_ms, std::move(done)});
      return;
    }
  }
  done(refused);
}

void ReadQueue::SendDue(int64_t now_ms, int64_t resend_ms,
                        const std::function<bool(const std::string&)>& ask) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Read*> due;
  for (auto& [seq, r] : reads_) {
    if (r.confirmed || (r.asked_ms >= 0 && now_ms - r.asked_ms < resend_ms)) continue;
    due.push_back(&r);
  }
  if (due.empty() || !ask(Be64(nonce_) + Be64(next_batch_))) return;  // none, or no leader
  for (Read* r : due) {
    r->asked_ms = now_ms;
    r->batch = next_batch_;
  }
  ++next_batch_;
}

void ReadQueue::Confirmed(const std::string& context, uint64_t index) {
  if (context.size() != 16 || FromBe64(context.data()) != nonce_) return;
  uint64_t batch = FromBe64(context.data() + 8);
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [seq, r] : reads_) {
    if (r.batch != batch || r.confirmed) continue;
    r.confirmed = true;
    r.index = index;
  }
}

void ReadQueue::Complete(uint64_t applied, int64_t now_ms) {
  std::vector<std::pair<std::function<void(Status)>, Status>> answers;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = reads_.begin(); it != reads_.end();) {
      Read& r = it->second;
      if (r.confirmed && r.index <= applied) {
        answers.emplace_back(std::move(r.done), Status::OK());
      } else if (now_ms >= r.deadline_ms) {
        answers.emplace_back(
            std::move(r.done),
            Status::Error("NO_LEADER", r.confirmed
                                           ? "this node did not catch up with the leader's commit "
                                             "index in time for a consistent read; retry"
                                           : "no leader confirmed a consistent read in time; retry "
                                             "in a moment"));
      } else {
        ++it;
        continue;
      }
      it = reads_.erase(it);
    }
  }
  for (auto& [done, s] : answers) done(s);
}

void ReadQueue::Close(const Status& why) {
  std::map<uint64_t, Read> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    all.swap(reads_);
  }
  for (auto& [seq, r] : all) r.done(why);
}

size_t ReadQueue::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return reads_.size();
}

}  // namespace traceledger::node

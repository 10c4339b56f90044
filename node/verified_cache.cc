#include "node/verified_cache.h"

namespace traceledger::node {

void VerifiedCache::EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.env.payload.size();
  entries_.erase(it);
}

void VerifiedCache::Put(const Envelope& e) {
  if (max_entries_ == 0 || e.payload.size() > max_bytes_) return;
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = entries_.find(e.tx_id); it != entries_.end()) EraseLocked(it);
  uint64_t seq = next_seq_++;
  entries_.emplace(e.tx_id, Entry{e, seq});
  bytes_ += e.payload.size();
  order_.emplace_back(seq, e.tx_id);
  // Evict oldest first. order_ also holds ids already taken or replaced (their
  // seq no longer matches): popping those frees nothing but keeps order_
  // bounded by twice the entries.
  while (entries_.size() > max_entries_ || bytes_ > max_bytes_ ||
         order_.size() > 2 * max_entries_) {
    auto [old_seq, id] = std::move(order_.front());
    order_.pop_front();
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.seq == old_seq) EraseLocked(it);
  }
}

void VerifiedCache::Erase(const std::string& tx_id) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = entries_.find(tx_id); it != entries_.end()) EraseLocked(it);
}

std::optional<Envelope> VerifiedCache::Take(const std::string& tx_id, std::string_view payload,
                                            std::string_view signer, std::string_view signature) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = entries_.find(tx_id);
  if (it == entries_.end()) return std::nullopt;
  std::optional<Envelope> out;
  const Envelope& e = it->second.env;
  if (e.payload == payload && e.signer == signer && e.signature == signature) {
    out = std::move(it->second.env);
    bytes_ -= out->payload.size();
    entries_.erase(it);
    return out;
  }
  EraseLocked(it);
  return out;
}

size_t VerifiedCache::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return entries_.size();
}

size_t VerifiedCache::payload_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_;
}

}  // namespace traceledger::node

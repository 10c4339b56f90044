#include "contracts/cockpit_query.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace traceledger {
namespace {

std::string AlertIdOf(uint64_t seq) {  // the format of contracts/exec.cc
  char buf[32];
  std::snprintf(buf, sizeof buf, "AL%010llu", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

std::map<std::string, int64_t> ReadCounters(const StateReader& state, size_t limit) {
  std::map<std::string, int64_t> out;
  state.Scan(keys::kCounterPrefix, [&](std::string_view k, std::string_view v) {
    if (out.size() >= limit) return false;
    out[std::string(k.substr(keys::kCounterPrefix.size()))] =
        std::strtoll(std::string(v).c_str(), nullptr, 10);
    return true;
  });
  return out;
}

Tally OpenAlertsByKind(const StateReader& state, size_t limit) {
  Tally t;
  state.Scan(keys::kOpenAlertPrefix, [&](std::string_view, std::string_view kind) {
    if (static_cast<size_t>(t.total) >= limit) {
      t.truncated = true;
      return false;
    }
    ++t.by[std::string(kind)];
    ++t.total;
    return true;
  });
  return t;
}

EnterpriseTally EnterprisesByRegion(const StateReader& state, size_t limit) {
  EnterpriseTally t;
  state.Scan("e|", [&](std::string_view, std::string_view v) {
    if (static_cast<size_t>(t.by_region.total) >= limit) {
      t.by_region.truncated = true;
      return false;
    }
    EnterpriseRec e;
    if (!Decode(v, &e)) return true;
    ++t.by_region.by[e.region];
    ++t.by_region.total;
    if (e.suspended) {
      ++t.suspended;
      return true;
    }
    for (int i = 0; i < kRoleCount; ++i) {
      if (e.roles & (1u << i)) ++t.active_by_role[RoleName(i)];
    }
    return true;
  });
  return t;
}

std::vector<AlertRec> NewestAlerts(const StateReader& state, size_t n) {
  std::vector<AlertRec> out;
  auto seq_text = state.Get(keys::kAlertSeq);
  if (!seq_text) return out;
  uint64_t seq = std::strtoull(seq_text->c_str(), nullptr, 10);
  for (; seq > 0 && out.size() < n; --seq) {
    auto v = state.Get(keys::Alert(AlertIdOf(seq)));
    AlertRec a;
    if (v && Decode(*v, &a)) out.push_back(std::move(a));
  }
  return out;
}

std::vector<RecallRec> Recalls(const StateReader& state, size_t limit, bool* truncated) {
  std::vector<RecallRec> out;
  *truncated = false;
  state.Scan("r|", [&](std::string_view, std::string_view v) {
    if (out.size() >= limit) {
      *truncated = true;
      return false;
    }
    RecallRec r;
    if (Decode(v, &r)) out.push_back(std::move(r));
    return true;
  });
  std::stable_sort(out.begin(), out.end(), [](const RecallRec& a, const RecallRec& b) {
    if (a.open != b.open) return a.open;
    return a.issued_height > b.issued_height;
  });
  return out;
}

std::optional<Category> ItemCategory(const StateReader& state, std::string_view code) {
  auto v = state.Get(keys::Item(code));
  ItemRec it;
  if (!v || !Decode(*v, &it)) return std::nullopt;
  return it.category;
}

std::optional<Category> ProductCategory(const StateReader& state, std::string_view code) {
  auto v = state.Get(keys::Product(code));
  ProductRec p;
  if (!v || !Decode(*v, &p)) return std::nullopt;
  return p.category;
}

std::optional<Category> ShipmentCategory(const StateReader& state, std::string_view id) {
  auto v = state.Get(keys::Shipment(id));
  ShipmentRec s;
  if (!v || !Decode(*v, &s) || s.codes.empty()) return std::nullopt;
  return ItemCategory(state, s.codes.front());
}

}  // namespace traceledger

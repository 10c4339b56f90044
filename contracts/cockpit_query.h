// Read-only queries over the contracts' state for the cockpit (docs/api.md,
// "GET /v1/cockpit"). Everything here reads counters (x|NAME) and small
// indexes kept as blocks apply; nothing walks all items or all events. Every
// prefix scan is bounded by a caller-given limit and reports truncation.
//
// Thread-safety: pure functions over a StateReader (StateStore allows
// concurrent reads while blocks apply; a query may see a mix of two heights).
#ifndef TRACELEDGER_CONTRACTS_COCKPIT_QUERY_H_
#define TRACELEDGER_CONTRACTS_COCKPIT_QUERY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/state.h"
#include "contracts/store.h"

namespace traceledger {

// Every counter the contracts keep (x|NAME -> decimal), by NAME. The set of
// counter names is small and fixed by the code (types, statuses, roles, alert
// kinds, reject codes), so this scan is bounded; `limit` caps it anyway.
std::map<std::string, int64_t> ReadCounters(const StateReader& state, size_t limit = 4096);

// A bounded tally over one index: counts by a label, and whether the scan hit
// its limit (then the counts cover only the first `limit` entries).
struct Tally {
  std::map<std::string, int64_t> by;
  int64_t total = 0;
  bool truncated = false;
};

// Open alerts by kind, from the open-alert index (ao|ID -> kind).
Tally OpenAlertsByKind(const StateReader& state, size_t limit);

// Enterprises by region and active (not suspended) enterprises by role, from
// the registry (e|USCC). The registry is one record per enrolled enterprise.
struct EnterpriseTally {
  Tally by_region;
  std::map<std::string, int64_t> active_by_role;
  int64_t suspended = 0;
};
EnterpriseTally EnterprisesByRegion(const StateReader& state, size_t limit);

// The newest alerts (highest sequence first), at most n, from the alert
// sequence number (m|alert_seq) and the alert records (a|ID).
std::vector<AlertRec> NewestAlerts(const StateReader& state, size_t n);

// Recalls (r|ID), open ones first then the most recently issued; at most
// `limit` are read.
std::vector<RecallRec> Recalls(const StateReader& state, size_t limit, bool* truncated);

// The category of the item, product or shipment's first item; nullopt if unknown.
std::optional<Category> ItemCategory(const StateReader& state, std::string_view code);
std::optional<Category> ProductCategory(const StateReader& state, std::string_view code);
std::optional<Category> ShipmentCategory(const StateReader& state, std::string_view id);

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_COCKPIT_QUERY_H_

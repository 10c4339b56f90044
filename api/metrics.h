// Prometheus metrics of the node (docs/api.md, "GET /metrics"): HTTP request
// counts by route, method and status, a request latency histogram by route,
// and gauges read at scrape time from the node (Raft term, commit and applied
// index, role, mempool, height, peers) and the ledger (block interval, apply
// rate) and the process's memory (resident set, malloc's heap, LevelDB's
// caches per database), rendered in the Prometheus text exposition format 0.0.4.
//
// Routes are templates ("/v1/blocks/{height}"), never raw paths, so the number
// of series is bounded whatever clients send.
//
// Thread-safety: Observe and Render may run concurrently on any thread.
#ifndef TRACELEDGER_API_METRICS_H_
#define TRACELEDGER_API_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "api/http_server.h"
#include "node/node.h"

namespace traceledger::api {

// The route template of a request path (e.g. "/v1/trace/{code}"); "other" for
// paths the API does not serve.
std::string RouteOf(std::string_view path);

// Ledger rates the cockpit follower measures (api/cockpit.h).
struct LedgerRates {
  double block_interval_seconds = 0;  // between the two latest blocks
  double tx_per_second = 0;           // committed transactions, last 60 s of block time
  double blocks_per_second = 0;       // applied blocks, last 60 s
  uint64_t transactions_total = 0;    // committed transactions (ok + rejected)
};

// The process's memory as the kernel and malloc see it, read at scrape time
// (a read of /proc/self/status and mallinfo2(): microseconds).
struct ProcessMemory {
  uint64_t resident_bytes = 0;       // VmRSS
  uint64_t resident_peak_bytes = 0;  // VmHWM
  uint64_t resident_anon_bytes = 0;  // RssAnon: the heap and stacks
  uint64_t resident_file_bytes = 0;  // RssFile: mapped files (the program, libraries)
  uint64_t malloc_in_use_bytes = 0;  // allocated and not freed (all arenas and mmaps)
  uint64_t malloc_free_bytes = 0;    // freed, kept by malloc in its arenas
};
ProcessMemory ReadProcessMemory();
// Parses the text of /proc/PID/status (the fields above from it; the rest 0).
ProcessMemory ParseProcStatus(std::string_view status);

// The HTTP server's gauges and counters (what it holds, what it refused),
// in the same format.
std::string RenderHttpServerStats(const HttpServerStats& st);

class HttpMetrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void Observe(std::string_view path, std::string_view method, int status, double seconds);
  // The full exposition: HTTP series, then node and ledger gauges.
  std::string Render(const node::NodeStatus& st, const LedgerRates& rates) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // route, method, code
  std::map<std::string, Histogram> latency_;                                // by route
};

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_METRICS_H_

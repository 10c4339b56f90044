#include "api/metrics.h"

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace traceledger::api {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void Line(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Line(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out->append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
  out->push_back('\n');
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  Line(out, "# HELP %s %s", name, help);
  Line(out, "# TYPE %s %s", name, type);
}

// Label values come from RouteOf and fixed method names, so they never hold
// a quote or a backslash; escape anyway.
std::string Esc(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (c == '\\' || c == '"') s.push_back('\\');
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s.push_back(c);
  }
  return s;
}

}  // namespace

std::string RenderHttpServerStats(const HttpServerStats& st) {
  std::string out;
  auto one = [&](const char* name, const char* type, const char* help, double v) {
    Header(&out, name, type, help);
    Line(&out, "%s %.17g", name, v);
  };
  one("traceledger_http_connections", "gauge", "Open HTTP connections (admitted).",
      static_cast<double>(st.connections));
  one("traceledger_http_client_addresses", "gauge",
      "Distinct client addresses among the open HTTP connections.",
      static_cast<double>(st.addresses));
  one("traceledger_http_body_bytes", "gauge",
      "Bytes reserved by request bodies being read (bounded by the body budget).",
      static_cast<double>(st.body_bytes));
  one("traceledger_http_answer_bytes", "gauge",
      "Bytes of large answers being written (bounded by the answer budget).",
      static_cast<double>(st.answer_bytes));
  Header(&out, "traceledger_http_refused_total", "counter",
         "Requests and connections refused at a limit: reason=connections (503 "
         "TOO_MANY_CONNECTIONS), busy (503 BUSY: the body or answer budget), timeout (408).");
  Line(&out, "traceledger_http_refused_total{reason=\"connections\"} %llu",
       static_cast<unsigned long long>(st.refused_connections));
  Line(&out, "traceledger_http_refused_total{reason=\"busy\"} %llu",
       static_cast<unsigned long long>(st.refused_busy));
  Line(&out, "traceledger_http_refused_total{reason=\"timeout\"} %llu",
       static_cast<unsigned long long>(st.timeouts));
  one("traceledger_http_internal_errors_total", "counter",
      "Requests answered 500 INTERNAL because a handler threw or did not answer (logged).",
      static_cast<double>(st.internal_errors));
  return out;
}

ProcessMemory ParseProcStatus(std::string_view status) {
  ProcessMemory m;
  auto field = [&](std::string_view name) -> uint64_t {
    // "Name:\t   1234 kB" at the start of a line.
    size_t at = 0;
    while (at < status.size()) {
      size_t end = status.find('\n', at);
      if (end == std::string_view::npos) end = status.size();
      std::string_view line = status.substr(at, end - at);
      if (line.size() > name.size() && StartsWith(line, name) && line[name.size()] == ':') {
        std::string v(line.substr(name.size() + 1));
        return std::strtoull(v.c_str(), nullptr, 10) * 1024;  // kB
      }
      at = end + 1;
    }
    return 0;
  };
  m.resident_bytes = field("VmRSS");
  m.resident_peak_bytes = field("VmHWM");
  m.resident_anon_bytes = field("RssAnon");
  m.resident_file_bytes = field("RssFile");
  return m;
}

ProcessMemory ReadProcessMemory() {
  std::ifstream f("/proc/self/status");
  std::stringstream ss;
  ss << f.rdbuf();
  ProcessMemory m = ParseProcStatus(ss.str());
  // jemalloc serves malloc in tracenode (api/CMakeLists.txt); glibc's
  // mallinfo2 would then describe an unused heap. Found at run time, so a
  // program without jemalloc (the tests) reports glibc's numbers.
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  static const auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len);  // refresh the statistics
    size_t allocated = 0, resident = 0;
    len = sizeof allocated;
    bool ok = mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0;
    len = sizeof resident;
    ok = ok && mallctl("stats.resident", &resident, &len, nullptr, 0) == 0;
    if (ok) {
      m.malloc_in_use_bytes = allocated;
      m.malloc_free_bytes = resident > allocated ? resident - allocated : 0;
      return m;
    }
  }
  struct mallinfo2 mi = mallinfo2();
  m.malloc_in_use_bytes = mi.uordblks + mi.hblkhd;
  m.malloc_free_bytes = mi.fordblks;
  return m;
}

std::string RouteOf(std::string_view p) {
  static const char* kExact[] = {"/",          "/v1/transactions", "/v1/status",   "/v1/cockpit",
                                 "/v1/alerts", "/metrics",         "/openapi.json"};
  for (const char* e : kExact) {
    if (p == e) return e;
  }
  struct Prefix {
    const char* prefix;
    const char* route;
  };
  static const Prefix kPrefixes[] = {
      {"/v1/transactions/", "/v1/transactions/{tx_id}"},
      {"/v1/blocks/", "/v1/blocks/{height}"},
      {"/v1/trace/", "/v1/trace/{code}"},
      {"/v1/enterprises/", "/v1/enterprises/{uscc}"},
      {"/v1/products/", "/v1/products/{code}"},
      {"/v1/recalls/", "/v1/recalls/{id}"},
      {"/t/", "/t/{code}"},
      {"/assets/", "/assets/{file}"},
      {"/01/", "/01/{gtin}/..."},
  };
  for (const auto& e : kPrefixes) {
    if (StartsWith(p, e.prefix)) return e.route;
  }
  return "other";
}

void HttpMetrics::Observe(std::string_view path, std::string_view method, int status,
                          double seconds) {
  std::string route = RouteOf(path);
  std::string m =
      method == "GET" || method == "POST" || method == "HEAD" ? std::string(method) : "other";
  std::lock_guard<std::mutex> l(mu_);
  ++requests_[{route, m, status}];
  Histogram& h = latency_[route];
  ++h.count;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
}

std::string HttpMetrics::Render(const node::NodeStatus& st, const LedgerRates& rates) const {
  std::string out;
  out.reserve(8192);
  {
    std::lock_guard<std::mutex> l(mu_);
    Header(&out, "traceledger_http_requests_total", "counter",
           "HTTP requests answered, by route template, method and status code.");
    for (const auto& [k, n] : requests_) {
      Line(&out, "traceledger_http_requests_total{route=\"%s\",method=\"%s\",code=\"%d\"} %llu",
           Esc(std::get<0>(k)).c_str(), Esc(std::get<1>(k)).c_str(), std::get<2>(k),
           static_cast<unsigned long long>(n));
    }
    Header(&out, "traceledger_http_request_duration_seconds", "histogram",
           "Time from a parsed request to its response being handed to the server, by route.");
    for (const auto& [route, h] : latency_) {
      std::string r = Esc(route);
      uint64_t cum = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cum += h.buckets[i];
        Line(&out, "traceledger_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu",
             r.c_str(), kBuckets[i], static_cast<unsigned long long>(cum));
      }
      Line(&out, "traceledger_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu",
           r.c_str(), static_cast<unsigned long long>(h.count));
      Line(&out, "traceledger_http_request_duration_seconds_sum{route=\"%s\"} %.9f", r.c_str(),
           h.sum);
      Line(&out, "traceledger_http_request_duration_seconds_count{route=\"%s\"} %llu", r.c_str(),
           static_cast<unsigned long long>(h.count));
    }
  }
  auto gauge = [&](const char* name, const char* help, double v) {
    Header(&out, name, "gauge", help);
    Line(&out, "%s %.17g", name, v);
  };
  auto counter = [&](const char* name, const char* help, double v) {
    Header(&out, name, "counter", help);
    Line(&out, "%s %.17g", name, v);
  };
  gauge("traceledger_raft_term", "Current Raft term of this node.", static_cast<double>(st.term));
  gauge("traceledger_raft_commit_index", "Highest Raft log index known committed.",
        static_cast<double>(st.commit_index));
  gauge("traceledger_raft_applied_index", "Highest Raft log index applied to the ledger.",
        static_cast<double>(st.applied_index));
  Header(&out, "traceledger_raft_role", "gauge",
         "1 for the Raft role this node has now, 0 for the others.");
  for (const char* role : {"leader", "follower", "candidate", "pre-candidate", "stopped"}) {
    Line(&out, "traceledger_raft_role{role=\"%s\"} %d", role, st.role == role ? 1 : 0);
  }
  gauge("traceledger_node_stopped",
        "1 once this node stopped applying after a fatal error (GET /v1/status says why).",
        st.role == "stopped" ? 1 : 0);
  gauge("traceledger_raft_has_leader", "1 if this node knows a leader.", st.leader.empty() ? 0 : 1);
  gauge("traceledger_raft_snapshot_index",
        "Raft index of the latest snapshot (log starts after it).",
        static_cast<double>(st.snapshot_index));
  gauge("traceledger_mempool_size", "Transactions waiting in this node's mempool.",
        static_cast<double>(st.mempool_size));
  gauge("traceledger_block_height", "Height of the latest block in this node's store.",
        static_cast<double>(st.height));
  gauge("traceledger_block_interval_seconds",
        "Block time between the two latest blocks (0 with fewer than two).",
        rates.block_interval_seconds);
  gauge("traceledger_apply_transactions_per_second",
        "Committed transactions per second over the last 60 s of block time.", rates.tx_per_second);
  gauge("traceledger_apply_blocks_per_second",
        "Blocks per second over the last 60 s of block time.", rates.blocks_per_second);
  counter("traceledger_transactions_total",
          "Transactions committed in blocks (accepted and rejected by a rule).",
          static_cast<double>(rates.transactions_total));
  Header(&out, "traceledger_envelope_signature_checks_total", "counter",
         "Envelope signatures this node checked itself (the API's door checks not included): "
         "when applying a block, or for submissions forwarded by followers.");
  Line(&out, "traceledger_envelope_signature_checks_total{at=\"apply\"} %llu",
       static_cast<unsigned long long>(st.apply_verified));
  Line(&out, "traceledger_envelope_signature_checks_total{at=\"forwarded\"} %llu",
       static_cast<unsigned long long>(st.forwarded_verified));
  counter("traceledger_envelope_signature_checks_saved_total",
          "Envelopes in applied blocks not checked again: this node checked the same bytes at "
          "its door.",
          static_cast<double>(st.apply_reused));
  size_t connected = 0;
  for (const auto& p : st.peers) connected += p.connected ? 1 : 0;
  gauge("traceledger_peers", "Peers (other validators) this node knows.",
        static_cast<double>(st.peers.size()));
  gauge("traceledger_peers_connected", "Peers with a live connection.",
        static_cast<double>(connected));
  // The peer port's listener (docs/node.md, "Peer transport").
  const node::InboundCounters& pp = st.peer_port;
  Line(&out,
       "# HELP traceledger_peer_port_connections_total Connections to the peer port by "
       "outcome: accepted (TCP), authenticated (TLS and hello passed), refused (a cap), "
       "rejected (closed before authenticating).");
  Line(&out, "# TYPE traceledger_peer_port_connections_total counter");
  for (auto [outcome, n] : {std::pair<const char*, uint64_t>{"accepted", pp.accepted},
                            {"authenticated", pp.authenticated},
                            {"refused", pp.refused},
                            {"rejected", pp.rejected}}) {
    Line(&out, "traceledger_peer_port_connections_total{outcome=\"%s\"} %llu", outcome,
         static_cast<unsigned long long>(n));
  }
  counter("traceledger_peer_port_refusals_not_logged_total",
          "Peer-port refusals left out of the log by its rate limit.",
          static_cast<double>(pp.log_suppressed));
  Line(&out, "# HELP traceledger_peer_port_open Open inbound peer connections by state.");
  Line(&out, "# TYPE traceledger_peer_port_open gauge");
  Line(&out, "traceledger_peer_port_open{state=\"pending\"} %zu", pp.open_pending);
  Line(&out, "traceledger_peer_port_open{state=\"authenticated\"} %zu", pp.open_authenticated);
  gauge("traceledger_peer_port_buffer_bytes",
        "Frame buffers the peer port's inbound connections hold now.",
        static_cast<double>(pp.buffer_bytes));

  // Memory (docs/operations.md, "Memory").
  ProcessMemory pm = ReadProcessMemory();
  gauge("traceledger_process_resident_bytes", "Resident set size of the node process (VmRSS).",
        static_cast<double>(pm.resident_bytes));
  gauge("traceledger_process_resident_peak_bytes",
        "Peak resident set size since the process started (VmHWM).",
        static_cast<double>(pm.resident_peak_bytes));
  Header(&out, "traceledger_process_resident_kind_bytes", "gauge",
         "Resident memory by kind: anonymous (heap, stacks) or file-backed (mapped files).");
  Line(&out, "traceledger_process_resident_kind_bytes{kind=\"anon\"} %llu",
       static_cast<unsigned long long>(pm.resident_anon_bytes));
  Line(&out, "traceledger_process_resident_kind_bytes{kind=\"file\"} %llu",
       static_cast<unsigned long long>(pm.resident_file_bytes));
  gauge("traceledger_malloc_in_use_bytes", "Bytes allocated with malloc and not yet freed.",
        static_cast<double>(pm.malloc_in_use_bytes));
  gauge("traceledger_malloc_free_bytes",
        "Bytes freed but kept by malloc in its arenas (not returned to the system).",
        static_cast<double>(pm.malloc_free_bytes));
  Header(&out, "traceledger_leveldb_memory_bytes", "gauge",
         "LevelDB's approximate memory (memtables and block cache) per database.");
  Line(&out, "traceledger_leveldb_memory_bytes{db=\"blocks\"} %llu",
       static_cast<unsigned long long>(st.block_store_memory));
  Line(&out, "traceledger_leveldb_memory_bytes{db=\"state\"} %llu",
       static_cast<unsigned long long>(st.state_store_memory));
  Line(&out, "traceledger_leveldb_memory_bytes{db=\"raft\"} %llu",
       static_cast<unsigned long long>(st.raft_log_memory));
  return out;
}

}  // namespace traceledger::api

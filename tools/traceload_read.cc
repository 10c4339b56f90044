// traceload --read: the trace and cockpit read benchmark (usage in
// tools/traceload.cc).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tools/traceload.h"

namespace traceledger::traceload {

namespace {

// Draws indexes 0..n-1: uniformly (s = 0) or Zipf with exponent s (index 0
// the most frequent); the caller shuffles what the indexes name.
class Picker {
 public:
  Picker(size_t n, double s) : n_(n) {
    if (s <= 0) return;
    cdf_.resize(n);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    for (auto& c : cdf_) c /= sum;
  }
  size_t operator()(std::mt19937_64& rng) const {
    if (cdf_.empty()) return rng() % n_;
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::min(
        n_ - 1, static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()));
  }

 private:
  size_t n_;
  std::vector<double> cdf_;
};

void PrintLatencies(const char* what, const std::vector<double>& v) {
  std::printf("%s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (%zu requests)\n", what,
              Percentile(v, 50), Percentile(v, 90), Percentile(v, 99), Percentile(v, 100),
              v.size());
}

}  // namespace

int RunReads(int argc, char** argv) {
  auto args =
      ParseFlags(argc, argv,
                 {"node", "codes-file", "requests", "seconds", "connections", "zipf",
                  "cockpit-every", "max-codes", "route"},
                 "read",
                 "usage: traceload --read --node URL[,URL...] --codes-file FILE [--requests R] "
                 "[--seconds S] [--connections C] [--zipf S] [--cockpit-every MS] [--max-codes K] "
                 "[--route connection|code]\n");
  if (!args) return 2;
  const std::string route = args->Has("route") ? args->Get("route") : "connection";
  if (route != "connection" && route != "code") {
    return Fail(
        "--route is \"connection\" (each connection stays on one node) or \"code\" "
        "(each code always goes to the same node); got \"" +
        route + "\"");
  }
  const bool by_code = route == "code";
  const std::string nodes_arg = args->Get("node"), codes_path = args->Get("codes-file");
  NumberFlags n(*args);
  const size_t requests = n.Count("requests", 1000000), connections = n.Count("connections", 64),
               max_codes = n.Count("max-codes", 10000000);
  const double seconds = n.Real("seconds", 30), zipf = n.Real("zipf", 0);
  const uint64_t cockpit_every = n.Count("cockpit-every", 100);
  if (!n.status().ok()) return Fail(n.status().message());
  if (nodes_arg.empty() || codes_path.empty()) return Fail("--node and --codes-file are required");
  if (requests == 0 || requests > 100000000 || seconds <= 0 || seconds > 600 || connections == 0 ||
      connections > 512 || zipf < 0 || zipf > 3 || cockpit_every < 10 || cockpit_every > 60000 ||
      max_codes == 0) {
    return Fail(
        "limits: 1 <= requests <= 100,000,000; 0 < seconds <= 600; 1 <= connections <= "
        "512; 0 <= zipf <= 3; 10 <= cockpit-every <= 60,000 ms");
  }
  const int cockpit_every_ms = static_cast<int>(cockpit_every);
  auto targets = ParseTargets(nodes_arg);
  if (!targets.ok()) return Fail(targets.status().ToString());
  std::vector<std::string> paths;
  {
    std::ifstream in(codes_path);
    if (!in) return Fail("cannot read " + codes_path);
    std::string line;
    while (paths.size() < max_codes && std::getline(in, line)) {
      if (!line.empty()) paths.push_back("/v1/trace/" + UrlEncode(line));
    }
  }
  if (paths.empty()) return Fail(codes_path + " holds no codes");
  std::mt19937_64 shuffle_rng(42);
  std::shuffle(paths.begin(), paths.end(), shuffle_rng);  // hot codes spread over the load
  Picker pick(paths.size(), zipf);
  std::printf(
      "traceload: GET /v1/trace/{code} over %zu codes (%s), %zu connections over %zu "
      "node(s)%s, up to %zu requests or %.0f s; /v1/cockpit every %d ms\n",
      paths.size(), zipf > 0 ? ("Zipf s=" + std::to_string(zipf).substr(0, 4)).c_str() : "uniform",
      connections, targets->size(), by_code ? " routed by code" : "", requests, seconds,
      cockpit_every_ms);
  std::fflush(stdout);

  // The first cockpit request to each node, timed once before the measurement
  // (the cockpit follows the chain on its own threads, api/cockpit.h: no
  // request waits for it to catch up).
  for (const auto& tg : *targets) {
    Conn warm(tg.host, tg.port);
    std::string out;
    auto t0 = Clock::now();
    int s = warm.Get("/v1/cockpit", &out);
    std::printf("first /v1/cockpit on %s: %d in %.1f ms\n", tg.url.c_str(), s,
                std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::fflush(stdout);

  std::atomic<size_t> issued{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies, cockpit;
  std::map<int, size_t> statuses, cockpit_failed;
  auto start = Clock::now();
  auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      // By connection: this thread's one connection, to node t mod N. By
      // code: one connection to each node, code i always to node i mod N (as
      // a load balancer hashing on the path would), one request at a time.
      std::vector<std::unique_ptr<Conn>> conns;
      for (size_t k = 0; k < (by_code ? targets->size() : 1); ++k) {
        const Target& target = (*targets)[by_code ? k : t % targets->size()];
        conns.push_back(std::make_unique<Conn>(target.host, target.port));
      }
      std::mt19937_64 rng(1000 + t);
      std::vector<double> mine;
      std::map<int, size_t> mine_st;
      uint64_t mine_bytes = 0;
      std::string out;
      while (issued++ < requests && Clock::now() < deadline) {
        const size_t i = pick(rng);
        Conn& conn = *conns[by_code ? i % conns.size() : 0];
        auto t0 = Clock::now();
        int s = conn.Get(paths[i], &out);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        mine_st[s]++;
        mine_bytes += out.size();
      }
      bytes += mine_bytes;
      std::lock_guard<std::mutex> l(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      for (const auto& [s, n] : mine_st) statuses[s] += n;
    });
  }
  // The cockpit probe: its own connection, round-robin over the nodes.
  std::thread probe([&] {
    std::vector<std::unique_ptr<Conn>> conns;
    for (const auto& tg : *targets) conns.push_back(std::make_unique<Conn>(tg.host, tg.port));
    std::string out;
    size_t k = 0;
    while (!stop && Clock::now() < deadline) {
      auto t0 = Clock::now();
      int s = conns[k++ % conns.size()]->Get("/v1/cockpit", &out);
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      {
        std::lock_guard<std::mutex> l(mu);
        if (s == 200)
          cockpit.push_back(ms);
        else
          cockpit_failed[s]++;
      }
      std::this_thread::sleep_until(t0 + std::chrono::milliseconds(cockpit_every_ms));
    }
  });
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  probe.join();
  size_t ok = statuses.count(200) ? statuses[200] : 0;
  std::printf("trace reads:        %zu in %.2f s = %.0f requests/s (%zu ok), %.1f MB/s\n",
              latencies.size(), secs, latencies.size() / secs, ok, bytes.load() / secs / 1e6);
  PrintLatencies("trace latency ms:  ", latencies);
  PrintLatencies("cockpit latency ms:", cockpit);
  bool clean = true;
  for (const auto& [s, n] : statuses) {
    if (s == 200) continue;
    clean = false;
    std::printf("trace status %d: %zu\n", s, n);
  }
  for (const auto& [s, n] : cockpit_failed) {
    clean = false;
    std::printf("cockpit status %d: %zu\n", s, n);
  }
  return clean && !latencies.empty() ? 0 : 1;
}

}  // namespace traceledger::traceload

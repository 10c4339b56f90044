// bench_trace_answers: the CPU cost of building GET /v1/trace/{code} answers
// on one thread, without HTTP or the answer cache — what a node spends per
// uncached trace lookup (docs/performance.md, "Trace and cockpit reads").
//
//   bench_trace_answers --config DIR/net/n1/config.json --codes DIR/codes.txt
//                       [--answers N] [--seed S] [--no-block-cache]
//
// Opens the node's stores from its config (the node must be stopped: LevelDB
// locks its directories; the network is not started), draws codes uniformly
// from the codes file (one per line, as `traceload --codes-out` writes) and
// builds N answers. Prints answers/s of thread CPU time, per-answer CPU
// percentiles and the mean answer size. Run a first pass to warm the OS page
// cache: the numbers are for a node whose files are cached in memory.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "api/trace_cache.h"
#include "api/trace_routes.h"
#include "bench_clock.h"
#include "node/config.h"
#include "tools/cli.h"

using namespace traceledger;

using bench::ThreadCpuSeconds;

int main(int argc, char** argv) {
  const char* usage =
      "usage: bench_trace_answers --config CONFIG.json --codes CODES.txt "
      "[--answers N] [--seed S] [--no-block-cache]\n";
  auto args = cli::ParseArgs(argc - 1, argv + 1, {"config", "codes", "answers", "seed"},
                             {"no-block-cache"});
  if (!args.ok() || !args->positional.empty()) {
    if (!args.ok())
      std::fprintf(stderr, "bench_trace_answers: %s\n", args.status().message().c_str());
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  const std::string config_path = args->Get("config"), codes_path = args->Get("codes");
  cli::NumberFlags numbers(*args);
  const size_t answers = numbers.Count("answers", 20000);
  const uint64_t seed = numbers.Count("seed", 1);
  const bool block_cache = !args->Has("no-block-cache");
  if (!numbers.status().ok()) {
    std::fprintf(stderr, "bench_trace_answers: %s\n", numbers.status().message().c_str());
    return 2;
  }
  if (config_path.empty() || codes_path.empty() || answers == 0 || answers > 10000000) {
    std::fprintf(stderr,
                 "bench_trace_answers: --config and --codes are required, "
                 "1 <= --answers <= 10,000,000\n");
    return 2;
  }
  std::vector<std::string> codes;
  {
    std::ifstream in(codes_path);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) codes.push_back(line);
  }
  if (codes.empty()) {
    std::fprintf(stderr, "bench_trace_answers: no codes in %s\n", codes_path.c_str());
    return 1;
  }
  auto cfg = node::LoadNodeConfig(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "bench_trace_answers: %s\n", cfg.status().ToString().c_str());
    return 1;
  }
  auto opened = node::Node::Open(cfg->options);
  if (!opened.ok()) {
    std::fprintf(stderr, "bench_trace_answers: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  node::Node* n = opened->get();
  // The caches as in the node, except that no whole answer is kept: the API
  // counts a lookup's miss at its door (api/service.cc) and HandleTraceRoute
  // never does, so the answer cache admits nothing here. Proof blocks and
  // parties/actors are cached as in the node (`--no-block-cache`: no caches).
  auto caches = std::make_unique<api::TraceCaches>(n);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, codes.size() - 1);
  std::vector<double> took;
  took.reserve(answers);
  size_t bytes = 0, not_ok = 0;
  int first_bad_status = 0;
  std::string first_bad;
  double start = ThreadCpuSeconds();
  for (size_t i = 0; i < answers; ++i) {
    api::HttpRequest req;
    req.method = "GET";
    req.path = "/v1/trace/" + codes[pick(rng)];
    req.target = req.path;
    api::HttpResponse out;
    double t0 = ThreadCpuSeconds();
    api::HandleTraceRoute(n, block_cache ? caches.get() : nullptr, req, &out);
    took.push_back(ThreadCpuSeconds() - t0);
    bytes += out.body.size();
    if (out.status != 200 && not_ok++ == 0) {
      first_bad_status = out.status;
      first_bad = req.path + ": " + out.body.substr(0, 200);
    }
  }
  double total = ThreadCpuSeconds() - start;
  std::sort(took.begin(), took.end());
  auto pct = [&](double p) { return took[std::min(took.size() - 1, size_t(p * took.size()))]; };
  std::printf("answers:        %zu over %zu codes (uniform), %zu not 200\n", answers, codes.size(),
              not_ok);
  if (not_ok) std::printf("first not 200:  %d %s\n", first_bad_status, first_bad.c_str());
  std::printf("thread CPU:     %.2f s = %.0f answers/s on one core\n", total, answers / total);
  std::printf("per answer µs:  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
              total / answers * 1e6, pct(0.5) * 1e6, pct(0.9) * 1e6, pct(0.99) * 1e6,
              took.back() * 1e6);
  std::printf("answer bytes:   mean %zu\n", bytes / answers);
  return not_ok == answers ? 1 : 0;
}

// traceload: a load program for a running network (docs/performance.md).
//
// Three modes, each bounded in count and time:
//
//   traceload --node URL[,URL...] --regulator FILE [--events N] [--connections C]
//             [--batch B] [--rate EVENTS_PER_S] [--codes K]
//     Write throughput. Enrols a manufacturer, registers a vaccine product and
//     commissions K codes (waiting for each commit), then pre-signs N
//     temperature readings (trace.reading) and submits them over C keep-alive
//     connections spread over the nodes, B envelopes per request (B = 1:
//     single-envelope requests), each with ?wait=commit. Reports committed
//     events/s and commit latency percentiles. N <= 2,000,000.
//
//   traceload --journeys --node URL[,...] --regulator FILE --events N
//             [--connections C] [--codes-out FILE] [--rate EVENTS_PER_S] [--batch B]
//     Fills a network with N committed events of a realistic shape: makers
//     commission cases of 10 codes, ship each case to a distributor with a
//     carrier, the carrier logs a reading for the shipment, the distributor
//     receives it and logs two readings per code: six events per code, many
//     codes. Each connection works through units of 50 cases (1,200
//     transactions) in dependency order, one request per step with
//     ?wait=commit; each unit is signed just before it is sent, so memory stays
//     at C units whatever N is. The codes of fully committed units go to
//     --codes-out, one per line. --rate paces the units (a unit of 1,200
//     starts no earlier than its share of the rate allows; 0: as fast as the
//     network commits); --batch B sends each step in requests of at most B
//     envelopes (default 1,000). N <= 5,000,000; a 30-minute limit.
//
//   traceload --read --node URL[,...] --codes-file FILE [--requests R]
//             [--seconds S] [--connections C] [--zipf S] [--cockpit-every MS]
//             [--route connection|code]
//     Read throughput. C keep-alive connections spread over the nodes GET
//     /v1/trace/{code} for codes drawn from FILE (uniformly, or Zipf-skewed
//     with exponent S over a shuffled order) until R requests or S seconds;
//     meanwhile one more connection GETs /v1/cockpit every MS ms (the probe).
//     --route code: each code always goes to the same node (its place in FILE
//     modulo the node count), as a load balancer hashing on the path would;
//     each of the C clients then keeps a connection to every node.
//     Reports requests/s, bytes, and latency p50/p90/p99/max of both.
//     R <= 100,000,000, S <= 600, C <= 512.
#include "tools/traceload.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "contracts/ids.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/time_util.h"

using namespace traceledger::traceload;  // NOLINT: one program's own pieces
using nlohmann::json;
using traceledger::HashAlg;
using traceledger::KeyPair;

int RunWrites(int argc, char** argv);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--journeys") return RunJourneys(argc, argv);
    if (std::string(argv[i]) == "--read") return RunReads(argc, argv);
  }
  return RunWrites(argc, argv);
}

int RunWrites(int argc, char** argv) {
  auto args = ParseFlags(
      argc, argv, {"node", "regulator", "events", "connections", "batch", "rate", "codes"}, "",
      "usage: traceload --node URL[,URL...] --regulator FILE [--events N] "
      "[--connections C] [--batch B] [--rate EVENTS/S] [--codes K]\n");
  if (!args) return 2;
  const std::string nodes_arg = args->Get("node"), regulator_path = args->Get("regulator");
  NumberFlags n(*args);
  const size_t events = n.Count("events", 20000), connections = n.Count("connections", 32),
               batch = n.Count("batch", 100), codes = n.Count("codes", 1000);
  const double rate = n.Real("rate", 0);
  if (!n.status().ok()) return Fail(n.status().message());
  if (nodes_arg.empty() || regulator_path.empty())
    return Fail("--node and --regulator are required");
  if (events == 0 || events > 2000000 || connections == 0 || connections > 512 || batch == 0 ||
      batch > 1000 || codes == 0 || codes > 100000) {
    return Fail(
        "limits: 1 <= events <= 2,000,000; 1 <= connections <= 512; 1 <= batch <= 1000; "
        "1 <= codes <= 100,000");
  }
  auto parsed = ParseTargets(nodes_arg);
  if (!parsed.ok()) return Fail(parsed.status().ToString());
  std::vector<Target> targets = *parsed;
  auto reg = traceledger::ReadKeyFile(regulator_path);
  if (!reg.ok()) return Fail(reg.status().ToString());
  auto st = traceledger::cli::HttpCall("GET", targets[0].url + "/v1/status", "");
  if (!st.ok() || st->status != 200) return Fail("cannot read " + targets[0].url + "/v1/status");
  json status = json::parse(st->body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object() || !status.contains("chain_id") || !status["chain_id"].is_string()) {
    return Fail("the node's /v1/status is not the JSON status it should be");
  }
  std::string chain = status["chain_id"];
  HashAlg alg = *traceledger::ParseHashAlg(status.value("hash", "sha256"));

  // ---- setup: a manufacturer, a product and its codes ----
  std::string run = std::to_string(NowMs());
  KeyPair maker = *traceledger::GenerateKeyPair();
  std::string base = "9133010" + run.substr(run.size() - 10);
  std::string uscc = base + traceledger::UsccCheckChar(base);
  std::string gtin = "0690" + run.substr(run.size() - 9);
  gtin += static_cast<char>('0' + traceledger::Gs1CheckDigit(gtin));
  int nonce = 0;
  auto sign = [&](const KeyPair& k, const std::string& type, const json& body) {
    json p = {{"chain_id", chain},
              {"type", type},
              {"nonce", "load-" + run + "-" + std::to_string(nonce++)},
              {"time", traceledger::FormatRfc3339Millis(NowMs())},
              {"body", body}};
    return *traceledger::SignEnvelope(k.private_key, p.dump(), alg);
  };
  Conn setup(targets[0].host, targets[0].port);
  auto must_commit = [&](const std::string& env, const char* what) {
    std::string out;
    int s = setup.Post("/v1/transactions?wait=commit&timeout_ms=30000", env, &out);
    if (s != 200) {
      std::fprintf(stderr, "traceload: setup step '%s' failed (%d): %s\n", what, s, out.c_str());
      std::exit(1);
    }
  };
  must_commit(sign(*reg, "registry.enroll",
                   {{"uscc", uscc},
                    {"name", "负载测试疫苗厂 " + run},
                    {"roles", {"manufacturer"}},
                    {"public_key", traceledger::ToHex(maker.public_key)},
                    {"region", "330100"}}),
              "enroll");
  must_commit(
      sign(maker, "product.register",
           {{"product_code", gtin}, {"name", "load test vaccine"}, {"category", "vaccine"}}),
      "product");
  std::vector<std::string> code_list;
  for (size_t c = 0; c < codes; ++c) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "(01)%s(21)L%07zu", gtin.c_str(), c);
    code_list.push_back(buf);
  }
  for (size_t from = 0; from < codes; from += 1000) {
    std::vector<std::string> chunk(code_list.begin() + from,
                                   code_list.begin() + std::min(codes, from + 1000));
    must_commit(sign(maker, "trace.commission",
                     {{"product_code", gtin},
                      {"lot", "LOAD" + std::to_string(from / 1000)},
                      {"expiry", "2030-12-31"},
                      {"codes", chunk},
                      {"location", "Hangzhou"}}),
                "commission");
  }
  // ---- pre-sign the events ----
  auto sign_start = Clock::now();
  std::vector<std::string> envs;
  envs.reserve(events);
  for (size_t e = 0; e < events; ++e) {
    envs.push_back(sign(maker, "trace.reading",
                        {{"codes", {code_list[e % codes]}},
                         {"device", "logger-" + std::to_string(e % 16)},
                         {"readings",
                          {{{"time", traceledger::FormatRfc3339Millis(NowMs())},
                            {"celsius", 4.0 + static_cast<double>(e % 30) / 10}}}}}));
  }
  double sign_secs = std::chrono::duration<double>(Clock::now() - sign_start).count();
  std::printf(
      "traceload: %zu events pre-signed in %.1f s; %zu connections over %zu node(s), "
      "%zu per request%s\n",
      events, sign_secs, connections, targets.size(), batch,
      rate > 0 ? (", paced to " + std::to_string(static_cast<long>(rate)) + "/s").c_str() : "");
  std::fflush(stdout);

  // ---- run ----
  std::atomic<size_t> next{0};
  std::atomic<size_t> committed_ok{0}, committed_rejected{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::map<std::string, size_t> errors;
  auto start = Clock::now();
  auto hard_deadline = start + std::chrono::minutes(10);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      const Target& target = targets[t % targets.size()];
      Conn conn(target.host, target.port);
      std::vector<double> mine;
      std::string out;
      while (Clock::now() < hard_deadline) {
        size_t from = next.fetch_add(batch);
        if (from >= events) break;
        size_t to = std::min(events, from + batch);
        if (rate > 0) {  // pace: request k may start at k*batch/rate seconds
          auto due = start + std::chrono::duration<double>(static_cast<double>(from) / rate);
          std::this_thread::sleep_until(due);
        }
        std::string body;
        if (batch == 1) {
          body = envs[from];
        } else {
          body = "{\"transactions\":[";
          for (size_t e = from; e < to; ++e) body += (e > from ? "," : "") + envs[e];
          body += "]}";
        }
        auto t0 = Clock::now();
        int s = conn.Post("/v1/transactions?wait=commit&timeout_ms=30000", body, &out);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        mine.push_back(ms);
        json r = json::parse(out, nullptr, false);
        std::lock_guard<std::mutex> l(mu);
        if (s < 0) {
          errors["CONNECTION"] += to - from;
        } else if (batch == 1) {
          if (s == 200)
            ++committed_ok;
          else if (s == 422)
            ++committed_rejected;
          else
            errors[r.is_object() && r.contains("error") ? r["error"].value("code", "?")
                                                        : std::to_string(s)]++;
        } else if (r.is_object() && r.contains("results")) {
          for (const auto& item : r["results"]) {
            std::string st2 = item.value("status", "");
            if (st2 == "ok")
              ++committed_ok;
            else if (st2 == "rejected")
              ++committed_rejected;
            else
              errors[st2 == "error" ? item["error"].value("code", "?") : st2]++;
          }
        } else {
          errors["HTTP_" + std::to_string(s)] += to - from;
        }
      }
      std::lock_guard<std::mutex> l(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  size_t done = committed_ok + committed_rejected;
  std::printf("committed events:   %zu (%zu ok, %zu rejected) in %.2f s = %.0f events/s\n", done,
              committed_ok.load(), committed_rejected.load(), secs, done / secs);
  std::printf("request latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (%zu requests)\n",
              Percentile(latencies, 50), Percentile(latencies, 90), Percentile(latencies, 99),
              Percentile(latencies, 100), latencies.size());
  for (const auto& [code, n] : errors) std::printf("not committed: %-20s %zu\n", code.c_str(), n);
  return done == events ? 0 : 1;
}

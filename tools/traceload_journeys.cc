// traceload --journeys: fills a network with committed events of a realistic
// shape (usage in tools/traceload.cc).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
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
#include "tools/traceload.h"

namespace traceledger::traceload {

namespace {

using nlohmann::json;

constexpr size_t kCasesPerUnit = 50;
constexpr size_t kCodesPerCase = 10;
constexpr size_t kReadingsPerCode = 2;
// Transactions of one unit: per case a commission, a shipment, the carrier's
// reading and the receipt; then the distributor's readings of every code.
constexpr size_t kTxPerUnit = kCasesPerUnit * (4 + kCodesPerCase * kReadingsPerCode);
constexpr size_t kMakers = 4, kDistributors = 4, kCarriers = 2;

struct Party {
  KeyPair key;
  std::string uscc;
};

// What every worker shares: the chain, the parties, the counters.
struct Journeys {
  std::string chain, run;
  HashAlg alg = HashAlg::kSha256;
  std::vector<Party> makers, distributors, carriers;
  std::vector<std::string> gtins;  // one product per maker
  std::atomic<uint64_t> nonce{0};

  std::string Sign(const Party& p, const std::string& type, const json& body) {
    json payload = {{"chain_id", chain},
                    {"type", type},
                    {"nonce", "j-" + run + "-" + std::to_string(nonce++)},
                    {"time", FormatRfc3339Millis(NowMs())},
                    {"body", body}};
    return *SignEnvelope(p.key.private_key, payload.dump(), alg);
  }
};

std::string Uscc(const std::string& run, int i) {
  std::string base = "91330" + std::to_string(10 + i) + run.substr(run.size() - 10);
  return base + UsccCheckChar(base);
}

std::string Batch(const std::vector<std::string>& envs, size_t from, size_t to) {
  std::string body = "{\"transactions\":[";
  for (size_t e = from; e < to; ++e) body += (e > from ? "," : "") + envs[e];
  return body + "]}";
}

}  // namespace

int RunJourneys(int argc, char** argv) {
  auto args = ParseFlags(
      argc, argv, {"node", "regulator", "events", "connections", "codes-out", "rate", "batch"},
      "journeys",
      "usage: traceload --journeys --node URL[,URL...] --regulator FILE "
      "[--events N] [--connections C] [--codes-out FILE] [--rate EVENTS_PER_S] "
      "[--batch B]\n");
  if (!args) return 2;
  const std::string nodes_arg = args->Get("node"), regulator_path = args->Get("regulator"),
                    codes_out = args->Get("codes-out");
  NumberFlags n(*args);
  const size_t events = n.Count("events", 1000000), connections = n.Count("connections", 32);
  const double rate = n.Real("rate", 0);        // events/s over all connections; 0: no limit
  const size_t batch = n.Count("batch", 1000);  // envelopes per request
  if (!n.status().ok()) return Fail(n.status().message());
  if (rate < 0 || rate > 1000000) return Fail("limits: 0 <= rate <= 1,000,000 events/s");
  if (batch == 0 || batch > 1000) return Fail("limits: 1 <= batch <= 1,000 envelopes");
  if (nodes_arg.empty() || regulator_path.empty())
    return Fail("--node and --regulator are required");
  if (events == 0 || events > 5000000 || connections == 0 || connections > 512)
    return Fail("limits: 1 <= events <= 5,000,000; 1 <= connections <= 512");
  auto targets = ParseTargets(nodes_arg);
  if (!targets.ok()) return Fail(targets.status().ToString());
  auto reg = ReadKeyFile(regulator_path);
  if (!reg.ok()) return Fail(reg.status().ToString());
  auto st = cli::HttpCall("GET", (*targets)[0].url + "/v1/status", "");
  if (!st.ok() || st->status != 200) return Fail("cannot read " + (*targets)[0].url + "/v1/status");
  json status = json::parse(st->body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object() || !status.contains("chain_id") || !status["chain_id"].is_string()) {
    return Fail("the node's /v1/status is not the JSON status it should be");
  }

  Journeys j;
  j.chain = status["chain_id"];
  j.alg = *ParseHashAlg(status.value("hash", "sha256"));
  j.run = std::to_string(NowMs());
  Party regulator{*reg, ""};

  // ---- setup: enterprises and products, each committed before the next step ----
  Conn setup((*targets)[0].host, (*targets)[0].port);
  auto commit_all = [&](const std::vector<std::string>& envs, const char* what) {
    std::string out;
    int s = setup.Post("/v1/transactions?wait=commit&timeout_ms=30000", Batch(envs, 0, envs.size()),
                       &out);
    json r = json::parse(out, nullptr, false);
    bool ok = s == 200 && r.is_object() && r.contains("results");
    for (size_t i = 0; ok && i < r["results"].size(); ++i)
      ok = r["results"][i].value("status", "") == "ok";
    if (!ok) {
      std::fprintf(stderr, "traceload: setup step '%s' failed (%d): %s\n", what, s, out.c_str());
      std::exit(1);
    }
  };
  auto enrol = [&](std::vector<Party>* into, size_t n, int first, const char* role,
                   const char* name, std::vector<std::string>* envs) {
    for (size_t i = 0; i < n; ++i) {
      Party p{*GenerateKeyPair(), Uscc(j.run, first + static_cast<int>(i))};
      envs->push_back(
          j.Sign(regulator, "registry.enroll",
                 {{"uscc", p.uscc},
                  {"name", std::string(name) + " " + std::to_string(i + 1) + " (" + j.run + ")"},
                  {"roles", {role}},
                  {"public_key", ToHex(p.key.public_key)},
                  {"region", "3301" + std::to_string(10 + i)}}));
      into->push_back(std::move(p));
    }
  };
  std::vector<std::string> envs;
  enrol(&j.makers, kMakers, 0, "manufacturer", "负载疫苗厂", &envs);
  enrol(&j.distributors, kDistributors, 10, "distributor", "负载配送中心", &envs);
  enrol(&j.carriers, kCarriers, 20, "logistics", "负载冷链物流", &envs);
  commit_all(envs, "enrol");
  envs.clear();
  for (size_t m = 0; m < kMakers; ++m) {
    std::string gtin = "069" + std::to_string(m) + j.run.substr(j.run.size() - 9);
    gtin += static_cast<char>('0' + Gs1CheckDigit(gtin));
    j.gtins.push_back(gtin);
    envs.push_back(j.Sign(j.makers[m], "product.register",
                          {{"product_code", gtin},
                           {"name", "load vaccine " + std::to_string(m + 1)},
                           {"category", "vaccine"},
                           {"temp_min_c", 2.0},
                           {"temp_max_c", 8.0},
                           {"shelf_life_days", 730}}));
  }
  commit_all(envs, "products");

  // ---- the journeys ----
  size_t units = (events + kTxPerUnit - 1) / kTxPerUnit;
  std::printf(
      "traceload: %zu units of %zu cases x %zu codes (%zu transactions each, %zu in all); "
      "%zu connections over %zu node(s)\n",
      units, kCasesPerUnit, kCodesPerCase, kTxPerUnit, units * kTxPerUnit, connections,
      targets->size());
  std::fflush(stdout);
  std::ofstream codes_file;
  if (!codes_out.empty()) {
    codes_file.open(codes_out, std::ios::trunc);
    if (!codes_file) return Fail("cannot write " + codes_out);
  }
  std::atomic<size_t> next_unit{0}, units_done{0};
  std::atomic<size_t> ok_count{0}, rejected{0}, failed{0};
  std::mutex mu;
  std::map<std::string, size_t> reasons;
  std::vector<double> latencies;
  int64_t expiry_ms = NowMs() + 700LL * 86400000;
  std::string expiry = FormatRfc3339Millis(expiry_ms).substr(0, 10);
  auto start = Clock::now();
  auto deadline = start + std::chrono::minutes(30);
  auto last_report = std::make_shared<std::atomic<int64_t>>(0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      const Target& target = (*targets)[t % targets->size()];
      Conn conn(target.host, target.port);
      std::vector<double> mine;
      std::string out;
      // Sends envs in requests of at most `batch`; true if all committed ok.
      auto send = [&](const std::vector<std::string>& envs) {
        bool all_ok = true;
        for (size_t from = 0; from < envs.size(); from += batch) {
          size_t to = std::min(envs.size(), from + batch);
          auto t0 = Clock::now();
          int s = conn.Post("/v1/transactions?wait=commit&timeout_ms=30000", Batch(envs, from, to),
                            &out);
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          json r = json::parse(out, nullptr, false);
          if (s != 200 || !r.is_object() || !r.contains("results")) {
            failed += to - from;
            std::lock_guard<std::mutex> l(mu);
            reasons[s < 0 ? "CONNECTION" : "HTTP_" + std::to_string(s)] += to - from;
            all_ok = false;
            continue;
          }
          std::vector<std::string> pending;
          for (const auto& item : r["results"]) {
            std::string st2 = item.value("status", "");
            if (st2 == "ok") {
              ++ok_count;
              continue;
            }
            if (st2 == "pending" && item.contains("tx_id")) {
              pending.push_back(item["tx_id"]);
              continue;
            }
            all_ok = false;
            (st2 == "rejected" ? rejected : failed)++;
            // A rejected receipt carries its code, an error its error.
            std::lock_guard<std::mutex> l(mu);
            reasons[st2 + " " +
                    (item.contains("error") ? item["error"].value("code", "")
                                            : item.value("code", ""))]++;
          }
          // The wait timed out (e.g. during a leader change): look the
          // transactions up until they are committed, for at most a minute.
          auto give_up = Clock::now() + std::chrono::seconds(60);
          for (const auto& id : pending) {
            std::string st2 = "pending";
            while (st2 == "pending" && Clock::now() < give_up) {
              int s2 = conn.Get("/v1/transactions/" + id, &out);
              json t2 = json::parse(out, nullptr, false);
              if (s2 == 200 && t2.is_object() && t2.contains("receipt")) {
                st2 = t2["receipt"].value("status", "?");
              } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
              }
            }
            if (st2 == "ok") {
              ++ok_count;
              continue;
            }
            all_ok = false;
            (st2 == "rejected" ? rejected : failed)++;
            std::lock_guard<std::mutex> l(mu);
            reasons[st2 == "pending" ? "pending (not committed after 60 s)" : st2]++;
          }
        }
        return all_ok;
      };
      while (Clock::now() < deadline) {
        size_t u = next_unit++;
        if (u >= units) break;
        if (rate > 0) {  // unit u starts no earlier than its share of the rate allows
          std::this_thread::sleep_until(start +
                                        std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(u * kTxPerUnit / rate)));
        }
        const Party& maker = j.makers[u % kMakers];
        const std::string& gtin = j.gtins[u % kMakers];
        const Party& dist = j.distributors[u % kDistributors];
        const Party& carrier = j.carriers[u % kCarriers];
        std::vector<std::vector<std::string>> cases(kCasesPerUnit);
        std::vector<std::string> commission, ship, transit, receive, readings, all_codes;
        for (size_t c = 0; c < kCasesPerUnit; ++c) {
          size_t case_no = u * kCasesPerUnit + c;
          char serial[32], lot[32], shipment[48];
          for (size_t i = 0; i < kCodesPerCase; ++i) {
            std::snprintf(serial, sizeof serial, "S%07zu%02zu", case_no, i);
            cases[c].push_back("(01)" + gtin + "(21)" + serial);
          }
          std::snprintf(lot, sizeof lot, "L%07zu", case_no);
          std::snprintf(shipment, sizeof shipment, "SH-%s-%zu", j.run.c_str(), case_no);
          commission.push_back(j.Sign(maker, "trace.commission",
                                      {{"product_code", gtin},
                                       {"lot", lot},
                                       {"expiry", expiry},
                                       {"codes", cases[c]},
                                       {"location", "杭州市余杭区"}}));
          ship.push_back(j.Sign(maker, "trace.ship",
                                {{"shipment_id", shipment},
                                 {"codes", cases[c]},
                                 {"to", dist.uscc},
                                 {"carrier", carrier.uscc},
                                 {"vehicle", "浙A" + std::to_string(10000 + case_no % 90000)},
                                 {"expected_arrival", FormatRfc3339Millis(NowMs() + 86400000)}}));
          transit.push_back(
              j.Sign(carrier, "trace.reading",
                     {{"shipment_id", shipment},
                      {"device", "truck-" + std::to_string(case_no % 97)},
                      {"readings",
                       {{{"time", FormatRfc3339Millis(NowMs())}, {"celsius", 4.5}},
                        {{"time", FormatRfc3339Millis(NowMs() + 1)}, {"celsius", 5.0}}}}}));
          receive.push_back(
              j.Sign(dist, "trace.receive", {{"shipment_id", shipment}, {"condition", "good"}}));
          for (const auto& code : cases[c]) {
            for (size_t r = 0; r < kReadingsPerCode; ++r) {
              readings.push_back(
                  j.Sign(dist, "trace.reading",
                         {{"codes", {code}},
                          {"device", "store-" + std::to_string(case_no % 13)},
                          {"readings",
                           {{{"time", FormatRfc3339Millis(NowMs())},
                             {"celsius", 3.0 + static_cast<double>((case_no + r) % 40) / 10}}}}}));
            }
            all_codes.push_back(code);
          }
        }
        // Each step needs the one before it committed (custody, the shipment).
        bool ok =
            send(commission) && send(ship) && send(transit) && send(receive) && send(readings);
        if (ok && codes_file.is_open()) {
          std::string lines;
          for (const auto& c : all_codes) lines += c + "\n";
          std::lock_guard<std::mutex> l(mu);
          codes_file << lines;
        }
        size_t done = ++units_done;
        int64_t now_s =
            static_cast<int64_t>(std::chrono::duration<double>(Clock::now() - start).count());
        int64_t prev = last_report->load();
        if (now_s >= prev + 30 && last_report->compare_exchange_strong(prev, now_s)) {
          std::printf("  %4lld s: %zu/%zu units, %zu events committed ok\n",
                      static_cast<long long>(now_s), done, units, ok_count.load());
          std::fflush(stdout);
        }
      }
      std::lock_guard<std::mutex> l(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  size_t done = ok_count + rejected;
  std::printf(
      "loaded events:      %zu (%zu ok, %zu rejected, %zu not committed) in %.1f s = %.0f "
      "events/s\n",
      done, ok_count.load(), rejected.load(), failed.load(), secs, done / secs);
  std::printf("codes:              %zu (%zu events each)\n",
              units_done.load() * kCasesPerUnit * kCodesPerCase, 4 + kReadingsPerCode);
  std::printf("request latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (%zu requests)\n",
              Percentile(latencies, 50), Percentile(latencies, 90), Percentile(latencies, 99),
              Percentile(latencies, 100), latencies.size());
  for (const auto& [code, n] : reasons) std::printf("not ok: %-24s %zu\n", code.c_str(), n);
  return ok_count == units * kTxPerUnit ? 0 : 1;
}

}  // namespace traceledger::traceload

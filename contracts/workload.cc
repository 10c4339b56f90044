#include "contracts/workload.h"

#include <algorithm>

#include "contracts/ids.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"

namespace traceledger {

using json = nlohmann::json;

namespace {
std::string UsccFor(int i) {
  std::string s = "91330100MA";
  std::string d = std::to_string(1000000 + i);
  s += d;
  return s + UsccCheckChar(s);
}
std::string Date(int64_t ms) { return FormatRfc3339Millis(ms).substr(0, 10); }
}  // namespace

std::string Workload::EnterpriseKey(int i) {
  return std::string(1, '\x03') +
         Hash(HashAlg::kSha256, "workload-enterprise-" + std::to_string(i));
}

Workload::Workload(const Genesis& genesis, std::string regulator_key, WorkloadOptions options)
    : genesis_(genesis), regulator_(std::move(regulator_key)), opt_(options), rng_(options.seed) {
  static const char* kMakerRoles[] = {"manufacturer", "producer", "importer"};
  static const char* kMakerCats[] = {"vaccine", "food", "cold_chain_food"};
  static const char* kEndRoles[] = {"retailer", "pharmacy", "vaccination_site", "caterer"};
  int n = 0;
  for (int i = 0; i < opt_.makers; ++i, ++n)
    ents_.push_back({EnterpriseKey(n),
                     UsccFor(n),
                     0,
                     kMakerRoles[i % 3],
                     "PRD-" + std::to_string(n),
                     kMakerCats[i % 3],
                     {}});
  for (int i = 0; i < opt_.middles; ++i, ++n)
    ents_.push_back(
        {EnterpriseKey(n), UsccFor(n), 1, i % 2 ? "distributor" : "warehouse", "", "", {}});
  for (int i = 0; i < opt_.ends; ++i, ++n)
    ents_.push_back({EnterpriseKey(n), UsccFor(n), 2, kEndRoles[i % 4], "", "", {}});
  for (int i = 0; i < 2; ++i, ++n)
    ents_.push_back({EnterpriseKey(n), UsccFor(n), 3, "lab", "", "", {}});
  for (int i = 0; i < 2; ++i, ++n)
    ents_.push_back({EnterpriseKey(n), UsccFor(n), 4, "logistics", "", "", {}});
}

Envelope Workload::MakeWith(const std::string& key, const std::string& type, const json& body) {
  Envelope e;
  e.signer = key;
  e.chain_id = genesis_.chain_id;
  e.type = type;
  e.nonce = "w" + std::to_string(++nonce_);
  e.time_ms = time_ms_ - 1000;
  e.time = FormatRfc3339Millis(e.time_ms);
  e.body = body;
  e.payload = json{
      {"chain_id", e.chain_id},
      {"type", type},
      {"nonce", e.nonce},
      {"time", e.time},
      {"body",
       body}}.dump();
  e.tx_id = Hash2(genesis_.hash_alg, e.signer, e.payload);
  return e;
}

Envelope Workload::Make(const Ent* signer, const std::string& type, const json& body) {
  return MakeWith(signer ? signer->key : regulator_, type, body);
}

std::vector<Envelope> Workload::Setup() {
  std::vector<Envelope> out;
  time_ms_ = genesis_.genesis_time_ms + 1000;
  for (const auto& e : ents_) {
    out.push_back(Make(nullptr, "registry.enroll",
                       {{"uscc", e.uscc},
                        {"name", "Enterprise " + e.uscc},
                        {"roles", {e.role}},
                        {"public_key", ToHex(e.key)},
                        {"region", "330100"}}));
  }
  for (const auto& e : ents_) {
    if (e.kind != 0) continue;
    json body = {
        {"product_code", e.product}, {"name", "Product of " + e.uscc}, {"category", e.category}};
    if (e.category == "food") body["requires_inspection"] = (e.product.back() % 2) == 0;
    out.push_back(Make(&e, "product.register", body));
  }
  return out;
}

int Workload::Pick(int kind) {
  int lo = 0, n = 0;
  for (size_t i = 0; i < ents_.size(); ++i) {
    if (ents_[i].kind == kind) {
      if (n == 0) lo = static_cast<int>(i);
      ++n;
    }
  }
  return lo + static_cast<int>(Rand(n));
}

std::vector<std::string> Workload::Take(std::vector<std::string>* held, size_t n) {
  std::vector<std::string> out;
  n = std::min(n, held->size());
  for (size_t i = 0; i < n; ++i) {
    size_t j = Rand(held->size());
    out.push_back((*held)[j]);
    (*held)[j] = held->back();
    held->pop_back();
  }
  return out;
}

void Workload::Invalid(std::vector<Envelope>* out) {
  int m = Pick(0), mid = Pick(1);
  switch (Rand(10)) {
    case 0: {  // ships what it does not hold
      std::vector<std::string> codes = {ents_[m].held.empty() ? "NOPE" : ents_[m].held[0]};
      out->push_back(Make(&ents_[mid], "trace.ship",
                          {{"shipment_id", "BAD" + std::to_string(++seq_)},
                           {"codes", codes},
                           {"to", ents_[Pick(2)].uscc},
                           {"carrier", ents_[Pick(4)].uscc},
                           {"vehicle", "x"}}));
      break;
    }
    case 1:
      out->push_back(Make(&ents_[Pick(2)], "trace.dispense",
                          {{"codes", {"UNKNOWN-" + std::to_string(++seq_)}}, {"kind", "sold"}}));
      break;
    case 2:
      out->push_back(Make(&ents_[m], "trace.commission", {{"product_code", ents_[m].product}}));
      break;
    case 3:
      if (!recent_.empty()) {
        out->push_back(recent_[Rand(recent_.size())]);
        break;
      }
      [[fallthrough]];
    case 4: {
      Envelope e = Make(&ents_[m], "product.register", {{"product_code", "X"}});
      e.chain_id = "another-chain";
      out->push_back(e);
      break;
    }
    case 5:
      out->push_back(Make(nullptr, "registry.enroll",
                          {{"uscc", "91350100M000100Y4Z"},
                           {"name", "Bad"},
                           {"roles", {"lab"}},
                           {"public_key", ToHex(EnterpriseKey(9999))},
                           {"region", "330100"}}));
      break;
    case 6:
      out->push_back(Make(&ents_[m], "trace.teleport", json::object()));
      break;
    case 7:
      if (!pending_.empty()) {
        out->push_back(Make(&ents_[mid], "trace.receive", {{"shipment_id", pending_.front().id}}));
        break;
      }
      [[fallthrough]];
    case 8:
      out->push_back(MakeWith(EnterpriseKey(100000 + static_cast<int>(Rand(50))), "trace.dispense",
                              {{"codes", {"A"}}, {"kind", "sold"}}));
      break;
    default: {
      Envelope e = Make(&ents_[m], "product.register",
                        {{"product_code", "LATE"}, {"name", "x"}, {"category", "food"}});
      e.time_ms = time_ms_ + 3600 * 1000;  // far ahead of block time
      out->push_back(e);
    }
  }
}

std::vector<Envelope> Workload::Next(size_t n, int64_t time_ms) {
  time_ms_ = time_ms;
  std::vector<Envelope> out;
  out.reserve(n + 8);
  while (out.size() < n) {
    uint64_t r = Rand(100);
    if (static_cast<int>(r) < opt_.invalid_percent) {
      Invalid(&out);
      continue;
    }
    r = Rand(100);
    if (r < 12) {  // commission (+ documents for imports, inspection for food)
      Ent& m = ents_[Pick(0)];
      std::string lot = "LOT" + std::to_string(++seq_);
      std::vector<std::string> codes;
      size_t k = 5 + Rand(16);
      for (size_t i = 0; i < k; ++i) codes.push_back(m.product + "-" + std::to_string(++seq_));
      json body = {{"product_code", m.product},
                   {"lot", lot},
                   {"expiry", Date(time_ms + 365LL * 86400000)},
                   {"codes", codes},
                   {"location", "site"}};
      if (m.role == "importer") body["origin_country"] = "EC";
      out.push_back(Make(&m, "trace.commission", body));
      for (auto& c : codes) m.held.push_back(c);
      if (m.role == "importer" && Rand(10) < 8) {
        for (const auto& d : genesis_.params.import_documents)
          out.push_back(Make(&m, "trace.document",
                             {{"product_code", m.product},
                              {"lot", lot},
                              {"doc_type", d},
                              {"doc_id", d + "-" + lot},
                              {"sha256", std::string(64, 'e')},
                              {"issuer", "Customs"}}));
      }
      if (m.category == "food" && Rand(2) == 0) {
        out.push_back(Make(&ents_[Pick(3)], "trace.inspect",
                           {{"product_code", m.product},
                            {"lot", lot},
                            {"result", "pass"},
                            {"report_id", "R" + lot},
                            {"sha256", std::string(64, 'f')}}));
      }
    } else if (r < 32) {  // ship: maker -> middle -> end
      int from = Rand(2) ? Pick(0) : Pick(1);
      Ent& f = ents_[from];
      if (f.held.empty()) continue;
      if (f.kind == 0 && f.held.size() >= 4 && Rand(5) == 0) {
        std::vector<std::string> kids = Take(&f.held, 2 + Rand(3));
        std::string box = "CASE" + std::to_string(++seq_);
        out.push_back(Make(&f, "trace.aggregate", {{"parent", box}, {"children", kids}}));
        f.held.push_back(box);
      }
      std::vector<std::string> codes = Take(&f.held, 1 + Rand(5));
      int to = f.kind == 0 ? Pick(1) : Pick(2);
      std::string id = "SHP" + std::to_string(++seq_);
      out.push_back(Make(&f, "trace.ship",
                         {{"shipment_id", id},
                          {"codes", codes},
                          {"to", ents_[to].uscc},
                          {"carrier", ents_[Pick(4)].uscc},
                          {"vehicle", "浙A" + std::to_string(seq_ % 100000)}}));
      pending_.push_back({id, from, to, codes});
    } else if (r < 52) {  // receive the oldest open shipment
      if (pending_.empty()) continue;
      Pending p = pending_.front();
      pending_.pop_front();
      out.push_back(
          Make(&ents_[p.to], "trace.receive", {{"shipment_id", p.id}, {"condition", "good"}}));
      for (auto& c : p.codes) ents_[p.to].held.push_back(c);
    } else if (r < 70) {  // temperature readings
      json readings = json::array();
      bool excursion = Rand(200) == 0;
      size_t k = 1 + Rand(5);
      for (size_t i = 0; i < k; ++i)
        readings.push_back({{"time", FormatRfc3339Millis(time_ms - 60000 * (k - i))},
                            {"celsius", excursion ? 15.5 : 4.0 + 0.5 * Rand(6)}});
      if (!pending_.empty() && Rand(2)) {
        const Pending& p = pending_[Rand(pending_.size())];
        out.push_back(Make(&ents_[p.from], "trace.reading",
                           {{"shipment_id", p.id}, {"device", "logger"}, {"readings", readings}}));
      } else {
        Ent& h = ents_[Rand(2) ? Pick(1) : Pick(2)];
        if (h.held.empty()) continue;
        out.push_back(Make(&h, "trace.reading",
                           {{"codes", {h.held[Rand(h.held.size())]}},
                            {"device", "fridge"},
                            {"readings", readings}}));
      }
    } else if (r < 88) {  // dispense at the end of the chain
      Ent& e = ents_[Pick(2)];
      if (e.held.empty()) continue;
      std::vector<std::string> codes = Take(&e.held, 1 + Rand(3));
      std::vector<std::string> singles;
      for (auto& c : codes) {
        if (c.rfind("CASE", 0) == 0)
          out.push_back(Make(&e, "trace.disaggregate", {{"parent", c}}));
        else
          singles.push_back(c);
      }
      if (singles.empty()) continue;
      std::string kind = e.role == "vaccination_site" ? "administered"
                         : e.role == "caterer"        ? "consumed"
                                                      : "sold";
      out.push_back(Make(&e, "trace.dispense", {{"codes", singles}, {"kind", kind}}));
    } else if (r < 91) {  // destruction
      Ent& e = ents_[Rand(2) ? Pick(1) : Pick(2)];
      if (e.held.empty()) continue;
      out.push_back(
          Make(&e, "trace.destroy", {{"codes", Take(&e.held, 1)}, {"reason", "damaged"}}));
    } else if (r < 93) {  // regulator quarantine and release
      Ent& e = ents_[Pick(1)];
      if (e.held.empty()) continue;
      std::string c = e.held[Rand(e.held.size())];
      out.push_back(
          Make(nullptr, "regulator.quarantine", {{"codes", {c}}, {"reason", "spot check"}}));
      out.push_back(Make(nullptr, "regulator.release", {{"codes", {c}}, {"reason", "cleared"}}));
    } else if (r < 94) {  // recall of codes one holder has; it answers at once
      Ent& e = ents_[Pick(1)];
      if (e.held.empty()) continue;
      std::string c = e.held[Rand(e.held.size())];
      if (c.rfind("CASE", 0) == 0 || c.rfind("PRD-", 0) != 0) continue;
      std::string product = c.substr(0, c.rfind('-'));
      std::string id = "RC" + std::to_string(++seq_);
      out.push_back(Make(nullptr, "recall.issue",
                         {{"recall_id", id},
                          {"product_code", product},
                          {"codes", {c}},
                          {"level", 2},
                          {"reason", "sampling"}}));
      out.push_back(
          Make(&e, "recall.respond", {{"recall_id", id}, {"codes", {c}}, {"action", "returned"}}));
      e.held.erase(std::find(e.held.begin(), e.held.end(), c));
    } else {  // documents attached by the custodian
      Ent& e = ents_[Pick(1)];
      if (e.held.empty()) continue;
      out.push_back(Make(&e, "trace.document",
                         {{"codes", {e.held[Rand(e.held.size())]}},
                          {"doc_type", "invoice"},
                          {"doc_id", "INV" + std::to_string(++seq_)},
                          {"sha256", std::string(64, 'd')},
                          {"issuer", "self"}}));
    }
  }
  out.resize(n);
  for (const auto& e : out) {
    if (recent_.size() < 256)
      recent_.push_back(e);
    else
      recent_[Rand(256)] = e;
  }
  return out;
}

}  // namespace traceledger

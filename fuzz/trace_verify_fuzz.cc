// Fuzz target: offline verification of trace answers (tools/trace_verify.h,
// `tracectl verify-trace`; docs/api.md, "Verifying an answer").
//
// Fixed data (fuzz/data/trace_verify/): the genesis of a dev node and real
// answers it gave (an item with its lot's events, a page of an item, a lot).
//
// Input: the first byte picks the mode.
//   mode < 0x80: a mutation program applied to answer (mode % answers): up to
//     16 operations, each an operation byte (bit 6: pick among the nodes of
//     the proven parts only), a node of the answer's JSON tree (two bytes,
//     modulo the number of nodes) and two operand bytes — edit a string
//     (change, drop or add a character, cut it), change a number, delete a
//     member or element, duplicate or swap elements, replace the node with a
//     copy of another node, change a value's type. The result is dumped to
//     text and verified.
//   mode >= 0x80: the rest of the input is an answer's text (the corpus holds
//     the real answers, so byte-level mutations start from them).
//   mode 0x7f alone: every single edit of every field an event shows, of every
//     event of every real answer (fuzz/corpus/trace_verify/sweep: ctest's
//     replay runs the whole sweep).
//
// Oracle: VerifyTraceAnswer never crashes, and never accepts an answer whose
// proven content differs from a real answer's. The proven content
// (docs/api.md, "What is proved") is, for every event shown — the item's and
// the lot's — its seq, tx_id, height, index, type, time, body, location,
// recorded_at, actor.public_key and readings summary as shown, its chain
// head, its envelope, its receipt (with the heads root) and its proofs; the
// code an answer with events names, and the product and lot of a lot chain
// with events (each receipt commits to its event's chain, seq and head); and
// for every block shown its header fields, block_hash and attestations. An
// accepted answer must show only events equal in all of that to the real
// answer's event with the same seq in the same chain, and only blocks equal to
// the real answer's block of that height with attestations the real answer
// carries. What the node merely states is not part of it: statuses, names,
// counts and completeness (that no event follows the last one shown is the
// node's word: docs/api.md, "What is proved").
#include <map>
#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "genesis/genesis.h"
#include "ledger/json_parse.h"
#include "tools/trace_verify.h"

namespace traceledger::fuzz {
namespace {

using nlohmann::json;

// ---- the proven content ----

json EventFacts(const json& ev) {
  json f = json::object();
  for (const char* k : {"seq", "tx_id", "height", "index", "type", "time", "body", "location",
                        "recorded_at", "chain_head"})
    if (ev.contains(k)) f[k] = ev[k];
  if (ev.contains("actor") && ev["actor"].is_object() && ev["actor"].contains("public_key"))
    f["actor.public_key"] = ev["actor"]["public_key"];
  if (ev.contains("readings") && ev["readings"].is_object()) {
    for (const char* k : {"count", "min_c", "max_c"})
      if (ev["readings"].contains(k)) f[std::string("readings.") + k] = ev["readings"][k];
  }
  if (ev.contains("proof") && ev["proof"].is_object()) {
    static const std::pair<const char*, std::vector<const char*>> kParts[] = {
        {"envelope", {"payload", "signer", "signature"}},
        {"receipt", {"tx_id", "status", "code", "message", "height", "index", "heads_root"}},
        {"inclusion", {"leaf_index", "tree_size", "path"}},
        {"receipt_inclusion", {"leaf_index", "tree_size", "path"}},
        {"heads_inclusion", {"leaf_index", "tree_size", "path"}}};
    const json& p = ev["proof"];
    for (const auto& [part, members] : kParts) {
      if (!p.contains(part) || !p[part].is_object()) continue;
      for (const char* m : members)
        if (p[part].contains(m)) f[std::string("proof.") + part + "." + m] = p[part][m];
    }
  }
  return f;
}

// seq -> facts, for one chain's events.
std::map<uint64_t, json> Events(const json& a, const char* member) {
  std::map<uint64_t, json> out;
  if (!a.contains(member) || !a[member].is_array()) return out;
  for (const auto& ev : a[member]) {
    if (ev.is_object() && ev.contains("seq") && ev["seq"].is_number_unsigned())
      out[ev["seq"].get<uint64_t>()] = EventFacts(ev);
  }
  return out;
}

struct BlockFacts {
  json header;
  std::vector<json> attestations;
};
std::map<uint64_t, BlockFacts> Blocks(const json& a) {
  std::map<uint64_t, BlockFacts> out;
  if (!a.contains("proof") || !a["proof"].is_object() || !a["proof"].contains("blocks") ||
      !a["proof"]["blocks"].is_array())
    return out;
  for (const auto& b : a["proof"]["blocks"]) {
    if (!b.is_object() || !b.contains("height") || !b["height"].is_number_unsigned()) continue;
    BlockFacts f;
    f.header = json::object();
    for (const char* k :
         {"height", "block_hash", "chain_id", "prev_hash", "time_ms", "time", "proposer",
          "raft_term", "raft_index", "tx_root", "receipts_root", "state_hash", "tx_count"})
      if (b.contains(k)) f.header[k] = b[k];
    if (b.contains("attestations") && b["attestations"].is_array())
      for (const auto& at : b["attestations"])
        if (at.is_object())
          f.attestations.push_back(json{{"node_id", at.value("node_id", json())},
                                        {"signature", at.value("signature", json())}});
    out[b["height"].get<uint64_t>()] = std::move(f);
  }
  return out;
}

// The facts of every real answer together (they are answers about one code
// and its lot, so where they overlap they agree).
struct Facts {
  std::map<std::string, std::map<uint64_t, json>> events;  // chain -> seq -> facts
  std::map<uint64_t, BlockFacts> blocks;
  json code;       // the item's code
  json lot_chain;  // {product_code, lot} of the lot chain
};

bool HasEvents(const json& a, const char* member) {
  return a.contains(member) && a[member].is_array() && !a[member].empty();
}
json LotChainId(const json& a) {
  if (!a.contains("lot_chain") || !a["lot_chain"].is_object()) return json();
  const json& c = a["lot_chain"];
  return json{{"product_code", c.value("product_code", json())}, {"lot", c.value("lot", json())}};
}

void Merge(const json& a, Facts* f) {
  if (HasEvents(a, "events")) {
    FUZZ_CHECK(f->code.is_null() || f->code == a["code"], "the real answers name two codes");
    f->code = a["code"];
  }
  if (HasEvents(a, "lot_events")) {
    FUZZ_CHECK(f->lot_chain.is_null() || f->lot_chain == LotChainId(a),
               "the real answers name two lots");
    f->lot_chain = LotChainId(a);
  }
  for (const char* chain : {"events", "lot_events"}) {
    for (auto& [seq, facts] : Events(a, chain)) {
      auto [it, fresh] = f->events[chain].emplace(seq, facts);
      FUZZ_CHECK(fresh || it->second == facts, "the real answers disagree");
    }
  }
  for (auto& [h, b] : Blocks(a)) {
    auto [it, fresh] = f->blocks.emplace(h, b);
    FUZZ_CHECK(fresh || it->second.header == b.header, "the real answers' blocks disagree");
    for (const auto& at : b.attestations) it->second.attestations.push_back(at);
  }
}

// Why `accepted` shows something the real answers do not prove, or "".
std::string Differs(const Facts& real, const json& accepted) {
  if (HasEvents(accepted, "events") && accepted.value("code", json()) != real.code)
    return "events shown under another code: " + accepted.value("code", json()).dump();
  if (HasEvents(accepted, "lot_events") && LotChainId(accepted) != real.lot_chain)
    return "lot events shown under another lot: " + LotChainId(accepted).dump();
  for (const char* chain : {"events", "lot_events"}) {
    auto r = real.events.find(chain);
    for (const auto& [seq, facts] : Events(accepted, chain)) {
      const json* want = nullptr;
      if (r != real.events.end())
        if (auto it = r->second.find(seq); it != r->second.end()) want = &it->second;
      if (!want) return std::string(chain) + " #" + std::to_string(seq) + " is not real";
      // What both show must agree (a display field the real answer did not
      // show, or one left out, proves nothing more).
      for (const auto& [k, v] : facts.items())
        if (want->contains(k) && (*want)[k] != v)
          return std::string(chain) + " #" + std::to_string(seq) + " shows another " + k + ": " +
                 v.dump().substr(0, 300) + " vs " + (*want)[k].dump().substr(0, 300);
    }
  }
  for (const auto& [h, f] : Blocks(accepted)) {
    auto it = real.blocks.find(h);
    if (it == real.blocks.end()) return "block " + std::to_string(h) + " is not real";
    for (const auto& [k, v] : f.header.items())
      if (it->second.header.contains(k) && it->second.header[k] != v)
        return "block " + std::to_string(h) + " shows another " + k;
    for (const auto& at : f.attestations) {
      if (std::find(it->second.attestations.begin(), it->second.attestations.end(), at) ==
          it->second.attestations.end())
        return "block " + std::to_string(h) + " shows an attestation it does not have";
    }
  }
  return "";
}

struct Data {
  Genesis genesis;
  std::vector<json> answers;
  Facts real;
};

const Data& Fixed() {
  static const Data* d = [] {
    auto* out = new Data;
    auto g = ParseGenesis(ReadDataFile("trace_verify/genesis.json"));
    FUZZ_CHECK(g.ok(), "the fixed genesis does not parse");
    out->genesis = *g;
    for (const char* name : {"item.json", "item_page.json", "lot.json"}) {
      std::string text = ReadDataFile(std::string("trace_verify/") + name);
      json a;
      FUZZ_CHECK(ParseJson(text, JsonLimits{64 << 20, 64}, name, "DATA", &a).ok(),
                 std::string(name) + " is not JSON");
      auto rep = cli::VerifyTraceAnswer(out->genesis, text);
      FUZZ_CHECK(rep.ok(), std::string("the real answer ") + name +
                               " does not verify: " + rep.status.ToString());
      Merge(a, &out->real);
      out->answers.push_back(std::move(a));
    }
    return out;
  }();
  return *d;
}

// ---- mutations ----

// Every node of the tree, and those inside the proven parts (events,
// lot_events, proof), where a mutation that verifies would be a finding.
void Collect(json& v, bool proven, std::vector<json*>* all, std::vector<json*>* in_proof) {
  all->push_back(&v);
  if (proven) in_proof->push_back(&v);
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      Collect(*it,
              proven || it.key() == "events" || it.key() == "lot_events" || it.key() == "proof",
              all, in_proof);
  } else if (v.is_array()) {
    for (auto& e : v) Collect(e, proven, all, in_proof);
  }
}

// Finds the parent of `target` (nullptr for the root).
json* ParentOf(json& v, const json* target) {
  if (!v.is_object() && !v.is_array()) return nullptr;
  for (auto& e : v) {
    if (&e == target) return &v;
    if (json* p = ParentOf(e, target)) return p;
  }
  return nullptr;
}

// Changes a string: a character (hex digits stay hex digits), drops one, adds
// one, cuts it, or repeats a prefix.
void EditString(json* n, uint8_t a, uint8_t b) {
  std::string s = n->get<std::string>();
  size_t pos = s.empty() ? 0 : a % (s.size() + 1);
  switch (b % 5) {
    case 0:
      if (pos < s.size()) {
        char c = s[pos];
        s[pos] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                     ? "0123456789abcdef"[(std::string_view("0123456789abcdef").find(c) + 1 +
                                           b / 5 % 15) %
                                          16]
                     : static_cast<char>(c ^ (1 << (b / 5 % 7)));
      }
      break;
    case 1:
      if (pos < s.size()) s.erase(pos, 1);
      break;
    case 2:
      s.insert(pos, 1, static_cast<char>(0x20 + b % 95));
      break;
    case 3:
      s.resize(pos);
      break;
    default:
      s += s.substr(0, pos);
  }
  *n = s;
}

void EditNumber(json* n, uint8_t a) {
  if (n->is_number_unsigned()) {
    uint64_t v = n->get<uint64_t>();
    uint64_t table[] = {v + 1, v - 1, v * 2, 0, v + 1000, UINT64_MAX, v >> 1, 1};
    *n = table[a % 8];
  } else if (n->is_number_integer()) {
    int64_t v = n->get<int64_t>();
    *n = a % 2 ? v + 1 : -v;
  } else if (n->is_number_float()) {
    double v = n->get<double>();
    *n = a % 2 ? v + 0.5 : -v;
  } else if (n->is_boolean()) {
    *n = !n->get<bool>();
  }
}

// A leaf of one of the fields an event shows that the proof covers.
json* ShownField(json& root, uint8_t a, uint8_t b) {
  const char* chain = a & 1 ? "lot_events" : "events";
  if (!root.contains(chain) || !root[chain].is_array() || root[chain].empty()) return nullptr;
  json& ev = root[chain][(a >> 1) % root[chain].size()];
  static const std::vector<std::vector<const char*>> kFields = {{"type"},
                                                                {"time"},
                                                                {"recorded_at"},
                                                                {"location"},
                                                                {"tx_id"},
                                                                {"seq"},
                                                                {"height"},
                                                                {"index"},
                                                                {"actor", "public_key"},
                                                                {"body"},
                                                                {"readings", "count"},
                                                                {"readings", "min_c"},
                                                                {"readings", "max_c"},
                                                                {"proof", "receipt", "message"},
                                                                {"proof", "envelope", "payload"},
                                                                {"proof", "inclusion", "path"}};
  json* n = &ev;
  for (const char* k : kFields[b % kFields.size()]) {
    if (!n->is_object() || !n->contains(k)) return nullptr;
    n = &(*n)[k];
  }
  // Into a container: its first leaf (a body's first member, a path's first hash).
  while ((n->is_object() || n->is_array()) && !n->empty()) n = &*n->begin();
  return n;
}

void Mutate(json& root, Input* in) {
  std::vector<json*> nodes, proven;
  Collect(root, false, &nodes, &proven);
  uint8_t op = in->Byte();
  // Half the operations land in the proven parts.
  const std::vector<json*>& pick = op & 0x40 && !proven.empty() ? proven : nodes;
  json* n = pick[in->U16() % pick.size()];
  uint8_t a = in->Byte(), b = in->Byte();
  switch (op % 8) {
    case 0:  // edit a string
      if (n->is_string()) EditString(n, a, b);
      return;
    case 1: {  // edit a field an event shows (n is not used)
      json* f = ShownField(root, a, b);
      if (!f) return;
      if (f->is_string())
        EditString(f, static_cast<uint8_t>(a * 7 + b), static_cast<uint8_t>(b / 16 + a));
      else
        EditNumber(f, b);
      return;
    }
    case 2:  // change a number
      EditNumber(n, a);
      return;
    case 3: {  // delete a member or an element
      json* p = ParentOf(root, n);
      if (!p) return;
      if (p->is_object()) {
        for (auto it = p->begin(); it != p->end(); ++it)
          if (&*it == n) {
            p->erase(it);
            return;
          }
      } else {
        for (size_t i = 0; i < p->size(); ++i)
          if (&(*p)[i] == n) {
            p->erase(i);
            return;
          }
      }
      return;
    }
    case 4: {  // duplicate or swap elements of an array
      if (!n->is_array() || n->empty()) return;
      size_t i = a % n->size(), j = b % n->size();
      if (op & 0x80) {
        std::swap((*n)[i], (*n)[j]);
      } else {
        json copy = (*n)[i];
        n->insert(n->begin() + static_cast<std::ptrdiff_t>(j), std::move(copy));
      }
      return;
    }
    case 5: {  // replace with a copy of another node
      json copy = *nodes[((uint32_t{a} << 8) | b) % nodes.size()];
      *n = std::move(copy);
      return;
    }
    case 6: {  // change the type
      static const json kValues[] = {nullptr, true, 0, -1, "", json::array(), json::object(), 1.5};
      *n = kValues[a % 8];
      return;
    }
    default: {  // rename a member: move it under another member's name
      if (!n->is_object() || n->size() < 2) return;
      auto from = n->begin();
      std::advance(from, a % n->size());
      auto to = n->begin();
      std::advance(to, b % n->size());
      if (from == to) return;
      std::string name = to.key();
      json v = *from;
      n->erase(from);
      (*n)[name] = std::move(v);
      return;
    }
  }
}

// Verifies `text`; an accepted answer must prove nothing a real answer does
// not.
void Check(const Data& d, const std::string& text) {
  auto rep = cli::VerifyTraceAnswer(d.genesis, text);
  if (!rep.ok()) {
    FUZZ_CHECK(!rep.status.code().empty(), "a failure without a code");
    return;
  }
  json accepted;
  Status s = ParseJson(text, JsonLimits{64 << 20, 64}, "answer", "ANSWER", &accepted);
  FUZZ_CHECK(s.ok(), "accepted an answer that is not strict JSON: " + s.ToString());
  std::string why = Differs(d.real, accepted);
  FUZZ_CHECK(why.empty(), "accepted an answer whose proven content was changed: " + why);
}

// Every single edit of a shown field of every event of every real answer
// (op 1 of Mutate for every operand that picks a distinct field).
void Sweep(const Data& d) {
  for (const json& real : d.answers) {
    for (int chain = 0; chain < 2; ++chain) {
      const char* name = chain ? "lot_events" : "events";
      size_t n = real.contains(name) && real[name].is_array() ? real[name].size() : 0;
      for (size_t e = 0; e < n && e < 128; ++e) {
        for (uint8_t field = 0; field < 16; ++field) {
          for (uint8_t kind = 0; kind < 5; ++kind) {
            json a = real;
            uint8_t pick = static_cast<uint8_t>(chain | (e << 1));
            json* f = ShownField(a, pick, field);
            if (!f) continue;
            if (f->is_string())
              EditString(f, 0, kind);
            else if (kind == 0)
              EditNumber(f, 0);
            else
              continue;
            if (a == real) continue;
            Check(d, DumpJson(a));
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  const Data& d = Fixed();
  Input in(data, size);
  uint8_t mode = in.Byte();
  if (mode == 0x7f) {
    if (in.empty()) Sweep(d);  // the corpus's "sweep" input
    return 0;
  }
  if (mode < 0x80) {
    json a = d.answers[mode % d.answers.size()];
    for (int i = 0; i < 16 && !in.empty(); ++i) Mutate(a, &in);
    Check(d, DumpJson(a));
  } else {
    Check(d, std::string(in.Rest()));
  }
  return 0;
}

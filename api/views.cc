#include "api/views.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/alert_text.h"
#include "contracts/cockpit_query.h"
#include "contracts/ids.h"
#include "contracts/state.h"
#include "contracts/store.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"

namespace traceledger::api {

using OJson = nlohmann::ordered_json;

namespace {

// An alert's message in Chinese (api/alert_text.h), null if it has none.
OJson ZhOrNull(const AlertRec& a) {
  std::string zh = AlertMessageZh(a.kind, a.message);
  return zh.empty() ? OJson(nullptr) : OJson(zh);
}

HttpResponse Answer(const OJson& j) {
  HttpResponse r;
  // As DumpJson (ledger/json_parse.h) for ordered_json: text that is not UTF-8
  // is written with U+FFFD instead of throwing.
  r.body = j.dump(-1, ' ', false, OJson::error_handler_t::replace);
  return r;
}

template <typename R>
bool LoadRec(const StateReader& s, const std::string& key, R* r) {
  auto v = s.Get(key);
  return v && Decode(*v, r);
}

OJson Party(const StateReader& s, const std::string& uscc) {
  if (uscc.empty()) return nullptr;
  EnterpriseRec e;
  if (!LoadRec(s, keys::Enterprise(uscc), &e)) return {{"uscc", uscc}, {"name", nullptr}};
  return {{"uscc", uscc}, {"name", e.name}, {"region", e.region}};
}

struct Page {
  uint64_t from = 0, limit = 0;
};

// ?from=N&limit=M with bounds; BAD_PAGING otherwise.
Result<uint64_t> Number(const HttpRequest& req, const std::string& name, uint64_t def, uint64_t min,
                        uint64_t max) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return def;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos)
    return Status::Error("BAD_PAGING", name + " must be a non-negative integer; got \"" + v + "\"");
  uint64_t n = std::stoull(v);
  if (n < min || n > max)
    return Status::Error("BAD_PAGING", name + " must be " + std::to_string(min) + ".." +
                                           std::to_string(max) + "; got " + v);
  return n;
}

Result<Page> ReadPage(const HttpRequest& req, const std::string& prefix, uint64_t def,
                      uint64_t max) {
  Page p;
  auto f = Number(req, prefix + "from", 0, 0, 1000000);
  if (!f.ok()) return f.status();
  auto l = Number(req, prefix + "limit", def, 1, max);
  if (!l.ok()) return l.status();
  p.from = *f;
  p.limit = *l;
  return p;
}

HttpResponse Bad(const Status& s) { return JsonError(400, s.code(), s.message()); }

// Keys under `prefix`, from offset page.from, at most page.limit; `total` counts
// up to from + limit + 1 so callers can tell if there is more.
std::vector<std::pair<std::string, std::string>> ListPrefix(const StateReader& s,
                                                            const std::string& prefix,
                                                            const Page& page, bool* more) {
  std::vector<std::pair<std::string, std::string>> out;
  uint64_t i = 0;
  *more = false;
  s.Scan(prefix, [&](std::string_view k, std::string_view v) {
    if (i++ < page.from) return true;
    if (out.size() == page.limit) {
      *more = true;
      return false;
    }
    out.emplace_back(std::string(k.substr(prefix.size())), std::string(v));
    return true;
  });
  return out;
}

void AddPaging(OJson& j, const char* name, const Page& p, size_t n, bool more,
               const std::string& path, const std::string& prefix) {
  j[name] = {{"from", p.from}, {"limit", p.limit}, {"returned", n}, {"more", more}};
  if (more) {
    j[name]["next"] = path + "?" + prefix + "from=" + std::to_string(p.from + n) + "&" + prefix +
                      "limit=" + std::to_string(p.limit);
  }
}

HttpResponse Enterprise(const StateReader& s, const std::string& uscc, const HttpRequest& req) {
  if (!IsValidUscc(uscc)) {
    return JsonError(400, "BAD_USCC",
                     "\"" + uscc +
                         "\" is not a unified social credit code (18 characters of "
                         "0-9 and A-Y without I, O, S, V, Z, with a valid check character)");
  }
  if (Status q =
          CheckQueryNames(req.query, {"holdings_from", "holdings_limit"}, "/v1/enterprises/{uscc}");
      !q.ok())
    return Bad(q);
  EnterpriseRec e;
  if (!LoadRec(s, keys::Enterprise(uscc), &e))
    return JsonError(404, "NOT_FOUND", "enterprise " + uscc + " is not enrolled on this ledger");
  auto page = ReadPage(req, "holdings_", kDefaultViewPage, kMaxViewPage);
  if (!page.ok()) return Bad(page.status());
  OJson roles = OJson::array();
  for (int i = 0; i < kRoleCount; ++i)
    if (e.roles & (1u << i)) roles.push_back(RoleName(i));
  OJson j = {{"uscc", e.uscc},
             {"name", e.name},
             {"region", e.region},
             {"roles", roles},
             {"public_key", ToHex(e.public_key)},
             {"status", e.suspended ? "suspended" : "active"},
             {"reason", e.reason.empty() ? OJson(nullptr) : OJson(e.reason)},
             {"enrolled_height", e.enrolled_height}};
  bool more;
  auto held = ListPrefix(s, keys::HolderPrefix(uscc), *page, &more);
  OJson codes = OJson::array();
  for (const auto& [code, v] : held) {
    ItemRec it;
    OJson c = {{"code", code}};
    if (LoadRec(s, keys::Item(code), &it)) {
      c["status"] = ItemStatusName(it.Status());
      c["product_code"] = it.product_code;
      c["lot"] = it.lot;
    }
    codes.push_back(c);
  }
  j["holdings"] = codes;
  AddPaging(j, "holdings_page", *page, codes.size(), more, "/v1/enterprises/" + uscc, "holdings_");
  return Answer(j);
}

HttpResponse Product(const StateReader& s, const std::string& code, const HttpRequest& req) {
  if (code.empty() || (!IsValidGtin14(code) && !IsValidId(code)))
    return JsonError(400, "BAD_PRODUCT_CODE",
                     "a product code is a GTIN-14 or 1..64 of [A-Za-z0-9-._:/+]");
  if (Status q = CheckQueryNames(req.query, {"lots_from", "lots_limit"}, "/v1/products/{code}");
      !q.ok())
    return Bad(q);
  ProductRec p;
  if (!LoadRec(s, keys::Product(code), &p))
    return JsonError(404, "NOT_FOUND", "product " + code + " is not registered on this ledger");
  auto page = ReadPage(req, "lots_", kDefaultViewPage, kMaxViewPage);
  if (!page.ok()) return Bad(page.status());
  OJson j = {{"code", p.code},
             {"name", p.name},
             {"category", CategoryName(p.category)},
             {"owner", Party(s, p.owner)},
             {"temp_min_c", p.has_min ? OJson(p.min_c) : OJson(nullptr)},
             {"temp_max_c", p.has_max ? OJson(p.max_c) : OJson(nullptr)},
             {"shelf_life_days", p.shelf_life_days ? OJson(p.shelf_life_days) : OJson(nullptr)},
             {"requires_inspection", p.requires_inspection},
             {"registered_height", p.registered_height}};
  bool more;
  auto lots = ListPrefix(s, "l|" + code + "|", *page, &more);
  OJson lj = OJson::array();
  for (const auto& [lot, v] : lots) {
    LotRec l;
    if (!Decode(v, &l)) continue;
    lj.push_back(
        {{"lot", l.lot},
         {"expiry",
          l.expiry_ms ? OJson(FormatRfc3339Millis(l.expiry_ms).substr(0, 10)) : OJson(nullptr)},
         {"count", l.count},
         {"commissioner", Party(s, l.commissioner)},
         {"imported", l.imported},
         {"origin_country", l.origin_country.empty() ? OJson(nullptr) : OJson(l.origin_country)},
         {"inspection", l.inspection == Inspection::kNone
                            ? OJson(nullptr)
                            : OJson(l.inspection == Inspection::kPass ? "pass" : "fail")}});
  }
  j["lots"] = lj;
  AddPaging(j, "lots_page", *page, lj.size(), more, "/v1/products/" + code, "lots_");
  return Answer(j);
}

// A recall's closure progress (GET /v1/recalls/{id} and the list).
OJson RecallProgress(const RecallRec& r) {
  uint32_t resolved = r.affected >= r.outstanding ? r.affected - r.outstanding : 0;
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.1f", r.affected ? 100.0 * resolved / r.affected : 100.0);
  return {{"affected", r.affected},
          {"resolved", resolved},
          {"outstanding", r.outstanding},
          {"reached_consumers", r.reached_consumers},
          {"percent_resolved", std::stod(pct)}};
}

HttpResponse Recall(const StateReader& s, const std::string& id, const HttpRequest& req) {
  if (!IsValidId(id))
    return JsonError(400, "BAD_RECALL_ID", "a recall id is 1..64 of [A-Za-z0-9-._:/+]");
  if (Status q = CheckQueryNames(req.query, {"owed_from", "owed_limit"}, "/v1/recalls/{id}");
      !q.ok())
    return Bad(q);
  RecallRec r;
  if (!LoadRec(s, keys::Recall(id), &r))
    return JsonError(404, "NOT_FOUND", "recall " + id + " does not exist on this ledger");
  auto page = ReadPage(req, "owed_", kDefaultViewPage, kMaxViewPage);
  if (!page.ok()) return Bad(page.status());
  OJson j = {{"id", r.id},
             {"status", r.open ? "open" : "closed"},
             {"level", r.level},
             {"reason", r.reason},
             {"product_code", r.product_code},
             {"lots", r.lots},
             {"codes", r.codes},
             {"issuer", r.issuer},
             {"issued_height", r.issued_height},
             {"closed_height", r.open ? OJson(nullptr) : OJson(r.closed_height)},
             {"close_reason", r.close_reason.empty() ? OJson(nullptr) : OJson(r.close_reason)},
             {"alert_id", r.alert_id.empty() ? OJson(nullptr) : OJson(r.alert_id)}};
  j["progress"] = RecallProgress(r);
  // Holders who still owe a response (one key per holder: bounded by the page limit).
  OJson holders = OJson::array();
  bool more_holders = false;
  Page hp{0, kMaxViewPage};
  for (const auto& [uscc, count] : ListPrefix(s, keys::RecallHolderPrefix(id), hp, &more_holders)) {
    OJson h = Party(s, uscc);
    h["owes"] = std::strtoull(count.c_str(), nullptr, 10);
    holders.push_back(h);
  }
  j["holders_owing"] = holders;
  if (more_holders) j["holders_owing_truncated"] = true;
  bool more;
  OJson owed = OJson::array();
  for (const auto& [code, uscc] : ListPrefix(s, keys::ObligationPrefix(id), *page, &more))
    owed.push_back({{"code", code}, {"holder", uscc}});
  j["owed"] = owed;
  AddPaging(j, "owed_page", *page, owed.size(), more, "/v1/recalls/" + id, "owed_");
  return Answer(j);
}

// The most recall records GET /v1/recalls reads: recalls are rare (a
// province issues tens a year); past this the answer says it is truncated.
constexpr size_t kMaxRecallsListed = 500;

// GET /v1/recalls: every recall, open ones first, then the most recently
// issued, each with its progress; ?status=open|closed|all, ?product_code=.
HttpResponse RecallList(const StateReader& s, const HttpRequest& req) {
  if (Status q = CheckQueryNames(req.query, {"status", "product_code"}, "/v1/recalls"); !q.ok())
    return Bad(q);
  auto q = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  const std::string status = q("status"), product = q("product_code");
  if (!status.empty() && status != "open" && status != "closed" && status != "all")
    return JsonError(400, "BAD_QUERY", "status is open, closed or all");
  if (!product.empty() && !IsValidId(product))
    return JsonError(400, "BAD_QUERY", "product_code is 1..64 of [A-Za-z0-9-._:/+]");
  bool truncated = false;
  OJson list = OJson::array();
  for (const RecallRec& r : Recalls(s, kMaxRecallsListed, &truncated)) {
    if ((status == "open" && !r.open) || (status == "closed" && r.open)) continue;
    if (!product.empty() && r.product_code != product) continue;
    ProductRec pr;
    bool named = LoadRec(s, keys::Product(r.product_code), &pr);
    list.push_back({{"id", r.id},
                    {"status", r.open ? "open" : "closed"},
                    {"level", r.level},
                    {"reason", r.reason},
                    {"product_code", r.product_code},
                    {"product_name", named ? OJson(pr.name) : OJson(nullptr)},
                    {"lots", r.lots},
                    {"issuer", r.issuer},
                    {"issued_height", r.issued_height},
                    {"closed_height", r.open ? OJson(nullptr) : OJson(r.closed_height)},
                    {"progress", RecallProgress(r)}});
  }
  OJson j = {{"recalls", list}, {"returned", list.size()}, {"truncated", truncated}};
  return Answer(j);
}

// What an alert is about: its programme (category) and region, resolved
// through the item, shipment, lot or recall it names.
struct AlertScope {
  std::string category, region;
};

AlertScope ScopeOf(const StateReader& s, const AlertRec& a) {
  AlertScope sc;
  auto from_item = [&](const std::string& code) {
    ItemRec it;
    if (!LoadRec(s, keys::Item(code), &it)) return;
    sc.category = CategoryName(it.category);
    EnterpriseRec e;
    if (LoadRec(s, keys::Enterprise(it.custodian), &e)) sc.region = e.region;
  };
  auto from_shipment = [&](const std::string& id) {
    ShipmentRec sh;
    if (!LoadRec(s, keys::Shipment(id), &sh)) return;
    if (!sh.codes.empty()) from_item(sh.codes.front());
    EnterpriseRec e;
    if (LoadRec(s, keys::Enterprise(sh.from), &e)) sc.region = e.region;
  };
  auto from_product = [&](const std::string& code) {
    ProductRec p;
    if (LoadRec(s, keys::Product(code), &p)) sc.category = CategoryName(p.category);
  };
  const std::string& sub = a.subject;
  if (a.kind == "overdue_shipment") {
    from_shipment(sub);
  } else if (a.kind == "recall") {
    RecallRec r;
    if (LoadRec(s, keys::Recall(sub), &r)) from_product(r.product_code);
  } else if (sub.rfind("code ", 0) == 0) {
    from_item(sub.substr(5));
  } else if (sub.rfind("shipment ", 0) == 0) {
    from_shipment(sub.substr(9));
  } else if (sub.rfind("lot ", 0) == 0) {
    size_t of = sub.find(" of ");
    if (of != std::string::npos) {
      std::string product = sub.substr(of + 4), lot = sub.substr(4, of - 4);
      from_product(product);
      LotRec l;
      EnterpriseRec e;
      if (LoadRec(s, keys::Lot(product, lot), &l) &&
          LoadRec(s, keys::Enterprise(l.commissioner), &e))
        sc.region = e.region;
    }
  }
  return sc;
}

std::string AlertIdOf(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "AL%010llu", static_cast<unsigned long long>(seq));
  return buf;
}

HttpResponse Alerts(const StateReader& s, const HttpRequest& req) {
  auto q = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  if (Status bad = CheckQueryNames(
          req.query, {"type", "status", "category", "region", "since", "until", "limit", "before"},
          "/v1/alerts");
      !bad.ok())
    return Bad(bad);
  std::string type = q("type"), status = q("status"), category = q("category"),
              region = q("region");
  // Every filter value is checked: an unknown one would match nothing and
  // answer an empty list that looks like "no alerts".
  if (!type.empty() && type != "temperature_excursion" && type != "inspection_failed" &&
      type != "overdue_shipment" && type != "recall")
    return JsonError(400, "BAD_QUERY",
                     "type is temperature_excursion, inspection_failed, overdue_shipment or "
                     "recall");
  if (region.size() > 64)
    return JsonError(400, "BAD_QUERY", "region is a prefix of a region code, at most 64 bytes");
  if (!status.empty() && status != "open" && status != "closed" && status != "all")
    return JsonError(400, "BAD_QUERY", "status is open, closed or all");
  Category cat;
  if (!category.empty() && !ParseCategory(category, &cat))
    return JsonError(400, "BAD_QUERY", "category is vaccine, drug, cold_chain_food or food");
  int64_t since = 0, until = INT64_MAX;
  if (!q("since").empty()) {
    auto t = ParseRfc3339Millis(q("since"));
    if (!t) return JsonError(400, "BAD_QUERY", "since must be an RFC 3339 UTC time");
    since = *t;
  }
  if (!q("until").empty()) {
    auto t = ParseRfc3339Millis(q("until"));
    if (!t) return JsonError(400, "BAD_QUERY", "until must be an RFC 3339 UTC time");
    until = *t;
  }
  auto limit = Number(req, "limit", kDefaultAlertPage, 1, kMaxAlertPage);
  if (!limit.ok()) return Bad(limit.status());
  auto seq_v = s.Get(keys::kAlertSeq);
  uint64_t latest = seq_v ? std::strtoull(seq_v->c_str(), nullptr, 10) : 0;
  uint64_t before = latest + 1;
  if (!q("before").empty()) {
    const std::string& b = q("before");
    if (b.size() != 12 || b.rfind("AL", 0) != 0 ||
        b.find_first_not_of("0123456789", 2) != std::string::npos)
      return JsonError(400, "BAD_PAGING", "before is an alert id such as AL0000000042");
    before = std::strtoull(b.c_str() + 2, nullptr, 10);
    if (before == 0 || before > latest + 1)
      return JsonError(
          400, "BAD_PAGING",
          "before " + b + " is out of range: the newest alert is " + AlertIdOf(latest));
  }
  // Newest first. Open alerts come from their own index; otherwise walk ids down.
  std::vector<uint64_t> candidates;
  bool open_only = status == "open";
  if (open_only) {
    s.Scan(keys::kOpenAlertPrefix, [&](std::string_view k, std::string_view) {
      uint64_t n = std::strtoull(std::string(k.substr(5)).c_str(), nullptr, 10);
      if (n < before) candidates.push_back(n);
      return candidates.size() < kMaxAlertScan * 10;
    });
  }
  OJson items = OJson::array();
  size_t examined = 0;
  uint64_t last = before;
  bool more = false;
  auto consider = [&](uint64_t n) -> bool {  // false: stop
    if (items.size() == *limit) {
      more = true;
      return false;
    }
    if (examined == kMaxAlertScan) {
      more = true;
      return false;
    }
    ++examined;
    last = n;
    AlertRec a;
    if (!LoadRec(s, keys::Alert(AlertIdOf(n)), &a)) return true;
    if (!type.empty() && a.kind != type) return true;
    if (status == "closed" && a.open) return true;
    if (a.time_ms < since || a.time_ms >= until) return true;
    OJson j = {{"id", a.id},
               {"type", a.kind},
               {"status", a.open ? "open" : "closed"},
               {"subject", a.subject},
               {"message", a.message},
               {"message_zh", ZhOrNull(a)},
               {"raised_at", FormatRfc3339Millis(a.time_ms)},
               {"height", a.height},
               {"closed_height", a.open ? OJson(nullptr) : OJson(a.closed_height)},
               {"pending_items", a.pending}};
    AlertScope sc = ScopeOf(s, a);
    if (!category.empty() && sc.category != category) return true;
    if (!region.empty() && sc.region.rfind(region, 0) != 0) return true;
    j["category"] = sc.category.empty() ? OJson(nullptr) : OJson(sc.category);
    j["region"] = sc.region.empty() ? OJson(nullptr) : OJson(sc.region);
    items.push_back(std::move(j));
    return true;
  };
  if (open_only) {
    for (auto it = candidates.rbegin(); it != candidates.rend() && consider(*it); ++it) {
    }
  } else {
    for (uint64_t n = before; n-- > 1;)
      if (!consider(n)) break;
  }
  OJson j = {{"alerts", items},
             {"returned", items.size()},
             {"examined", examined},
             {"newest", latest ? OJson(AlertIdOf(latest)) : OJson(nullptr)},
             {"more", more}};
  if (more) {
    std::string next = "/v1/alerts?before=" + AlertIdOf(last) + "&limit=" + std::to_string(*limit);
    for (const char* k : {"type", "status", "category", "region", "since", "until"})
      if (!q(k).empty()) next += std::string("&") + k + "=" + q(k);
    j["next"] = next;
  }
  return Answer(j);
}

}  // namespace

bool HandleViewRoute(node::Node* node, const HttpRequest& req, HttpResponse* out) {
  const std::string& p = req.path;
  auto route = [&](const char* prefix) { return p.rfind(prefix, 0) == 0; };
  const bool recall_list = p == "/v1/recalls" || p == "/v1/recalls/";
  if (!(route("/v1/enterprises/") || route("/v1/products/") || route("/v1/recalls/") ||
        recall_list || p == "/v1/alerts"))
    return false;
  if (req.method != "GET" && req.method != "HEAD") {
    *out = JsonError(405, "METHOD_NOT_ALLOWED",
                     req.method + " is not allowed on " + p + "; use GET or HEAD");
    out->headers.emplace_back("Allow", "GET, HEAD");
    return true;
  }
  const StateReader& s = node->state();
  if (route("/v1/enterprises/"))
    *out = Enterprise(s, p.substr(16), req);
  else if (route("/v1/products/"))
    *out = Product(s, p.substr(13), req);
  else if (recall_list)
    *out = RecallList(s, req);
  else if (route("/v1/recalls/"))
    *out = Recall(s, p.substr(12), req);
  else
    *out = Alerts(s, req);
  return true;
}

}  // namespace traceledger::api

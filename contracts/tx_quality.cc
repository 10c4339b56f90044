// trace.document, trace.reading, trace.inspect, regulator.quarantine and
// regulator.release.
#include <algorithm>
#include <cstdio>

#include "contracts/exec.h"
#include "contracts/ids.h"
#include "ledger/time_util.h"

namespace traceledger {

namespace {

std::string Celsius(double c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", c);
  return buf;
}

std::string RangeText(const TempRange& r) {
  if (r.min_c && r.max_c) return Celsius(*r.min_c) + ".." + Celsius(*r.max_c) + " C";
  if (r.max_c) return "<= " + Celsius(*r.max_c) + " C";
  return ">= " + Celsius(*r.min_c) + " C";
}

// Reads body.lot + body.product_code, or body.codes. Exactly one form.
struct Target {
  std::vector<std::string> codes;
  std::string product, lot;
};
void ReadTarget(Body& b, Target* t) {
  bool has_lot = b.Has("lot");
  if (!b.OneOf("codes", "lot")) return;
  if (has_lot) {
    t->lot = b.Id("lot");
    t->product = b.Str("product_code", 1, kMaxIdLength);
  } else {
    t->codes = b.Codes("codes", kMaxCodesPerTx);
  }
}

Status LoadLot(Exec& x, const Target& t, LotRec* l) {
  if (!x.Load(keys::Lot(t.product, t.lot), l))
    return Reject("UNKNOWN_LOT",
                  "lot " + Q(t.lot) + " of product " + Q(t.product) + " is not commissioned");
  return Status::OK();
}

// True if the signer holds at least one item of the lot.
bool HoldsPartOfLot(Exec& x, const LotRec& l) {
  bool found = false;
  std::string prefix = keys::LotCodePrefix(l.product_code, l.lot);
  x.Scan(prefix, [&](std::string_view k, std::string_view) {
    found = x.Exists(keys::Holder(x.signer->uscc, k.substr(prefix.size())));
    return !found;
  });
  return found;
}

std::vector<std::string> LotCodes(Exec& x, const std::string& product, const std::string& lot) {
  std::vector<std::string> codes;
  std::string prefix = keys::LotCodePrefix(product, lot);
  x.Scan(prefix, [&](std::string_view k, std::string_view) {
    codes.emplace_back(k.substr(prefix.size()));
    return true;
  });
  return codes;
}

}  // namespace

Status TxDocument(Exec& x) {
  Body b(x.env->body);
  Target t;
  ReadTarget(b, &t);
  DocumentRec d;
  d.doc_type = b.DocType("doc_type");
  d.doc_id = b.Id("doc_id");
  d.sha256 = b.Sha256Hex("sha256");
  d.issuer = b.Str("issuer", 1, 128);
  TL_RETURN_IF_ERROR(b.Finish());
  d.signer = x.signer->regulator ? x.signer->name : x.signer->uscc;
  d.tx_id = x.env->tx_id;
  d.height = x.ctx.height;
  bool privileged = x.signer->regulator || x.signer->Has(kLab);
  if (!t.lot.empty()) {
    LotRec l;
    TL_RETURN_IF_ERROR(LoadLot(x, t, &l));
    if (!privileged && l.commissioner != x.signer->uscc && !HoldsPartOfLot(x, l))
      return Reject("NOT_CUSTODIAN", "enterprise " + x.signer->uscc + " holds no item of lot " +
                                         Q(t.lot) + " and is not a lab");
    x.Save(keys::LotDoc(t.product, t.lot, d.doc_type), d);
    x.ExtendLot(l);
    x.Save(keys::Lot(t.product, t.lot), l);
  } else {
    std::vector<ItemRec> items;
    for (const auto& c : t.codes) {
      ItemRec it;
      TL_RETURN_IF_ERROR(x.LoadItem(c, &it));
      if (!privileged && it.custodian != x.signer->uscc)
        return Reject("NOT_CUSTODIAN", "code " + Q(c) + " is held by " + it.custodian +
                                           ", not by " + x.signer->uscc);
      items.push_back(std::move(it));
    }
    for (auto& it : items) {
      x.Save(keys::CodeDoc(it.code, d.doc_type), d);
      x.SaveItem(it);
    }
  }
  x.Count("documents", 1);
  return Status::OK();
}

Status TxReading(Exec& x) {
  Body b(x.env->body);
  std::vector<std::string> codes;
  std::string shipment_id;
  bool by_codes = b.Has("codes");
  if (b.OneOf("codes", "shipment_id")) {
    if (by_codes)
      codes = b.Codes("codes", kMaxCodesPerTx);
    else
      shipment_id = b.Id("shipment_id");
  }
  b.Str("device", 1, 64);
  const nlohmann::json* readings = b.Array("readings", 1, kMaxReadingsPerTx);
  double lo = 1e9, hi = -1e9;
  int64_t max_future = x.ctx.time_ms + x.g.params.max_future_skew_ms;
  for (size_t i = 0; readings && i < readings->size() && b.ok(); ++i) {
    std::string p = b.Path("readings") + "[" + std::to_string(i) + "]";
    Body r((*readings)[i], p);
    int64_t t = r.Time("time");
    auto c = r.Celsius("celsius", true);
    Status s = r.Finish();
    if (!s.ok()) return s;
    if (t > max_future) return Reject("FUTURE_TIME", p + ".time: is ahead of the block time");
    lo = std::min(lo, *c);
    hi = std::max(hi, *c);
  }
  TL_RETURN_IF_ERROR(b.Finish());

  std::vector<ItemRec> items;
  std::string subject;
  if (!shipment_id.empty()) {
    ShipmentRec s;
    if (!x.Load(keys::Shipment(shipment_id), &s))
      return Reject("UNKNOWN_SHIPMENT", "shipment " + Q(shipment_id) + " does not exist");
    if (!s.open) return Reject("SHIPMENT_CLOSED", "shipment " + Q(shipment_id) + " was received");
    const std::string& me = x.signer->uscc;
    if (me != s.from && me != s.to && me != s.carrier)
      return Reject("NOT_CUSTODIAN", "enterprise " + me + " is neither sender, receiver nor " +
                                         "carrier of shipment " + Q(shipment_id));
    std::vector<std::string> in_transit;
    for (const auto& c : s.codes) {
      ItemRec it;
      if (x.Load(keys::Item(c), &it) && it.shipment_id == shipment_id) in_transit.push_back(c);
    }
    TL_RETURN_IF_ERROR(x.LoadExpanded(in_transit, false, &items));
    subject = "shipment " + shipment_id;
  } else {
    TL_RETURN_IF_ERROR(x.LoadExpanded(codes, false, &items));
    for (const auto& it : items) {
      if (it.terminal != Terminal::kNone)
        return Reject("TERMINAL", "code " + Q(it.code) + " is " + TerminalName(it.terminal));
      if (it.custodian == x.signer->uscc) continue;
      ShipmentRec s;
      if (!it.shipment_id.empty() && x.Load(keys::Shipment(it.shipment_id), &s) &&
          s.carrier == x.signer->uscc)
        continue;
      return Reject("NOT_CUSTODIAN", "code " + Q(it.code) + " is held by " + it.custodian +
                                         " and " + x.signer->uscc + " is not its carrier");
    }
    subject = "code " + codes.front();
  }
  // Excursions: every item whose product range the readings leave.
  std::vector<size_t> hit;
  std::string range_text;
  std::map<std::string, std::optional<TempRange>> ranges;  // per product, ordered
  for (size_t i = 0; i < items.size(); ++i) {
    const ItemRec& it = items[i];
    if (it.product_code.empty() || it.terminal != Terminal::kNone) continue;
    auto r = ranges.find(it.product_code);
    if (r == ranges.end())
      r = ranges.emplace(it.product_code, x.ProductRange(it.product_code)).first;
    if (!r->second) continue;
    if (!r->second->Contains(lo) || !r->second->Contains(hi)) {
      hit.push_back(i);
      if (range_text.empty()) range_text = RangeText(*r->second);
    }
  }
  std::string alert;
  if (!hit.empty()) {
    // The message's shape is read by api/alert_text.cc (its Chinese text).
    alert = x.OpenAlert("temperature_excursion", subject,
                        "readings " + Celsius(lo) + ".." + Celsius(hi) + " C left the range " +
                            range_text + " for " + std::to_string(hit.size()) + " item(s) of " +
                            subject + "; quarantined",
                        hit.size());
    x.Count("excursions", 1);
  }
  size_t h = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (h < hit.size() && hit[h] == i) {
      ++h;
      x.Quarantine(items[i], alert);
    }
    x.SaveItem(items[i]);
  }
  x.Count("readings", readings ? readings->size() : 0);
  return Status::OK();
}

Status TxInspect(Exec& x) {
  Body b(x.env->body);
  Target t;
  ReadTarget(b, &t);
  std::string result = b.Enum("result", {"pass", "fail"});
  std::string report = b.Id("report_id");
  b.Sha256Hex("sha256");
  TL_RETURN_IF_ERROR(b.Finish());
  Inspection res = result == "pass" ? Inspection::kPass : Inspection::kFail;
  std::vector<ItemRec> items;
  std::string subject;
  if (!t.lot.empty()) {
    LotRec l;
    TL_RETURN_IF_ERROR(LoadLot(x, t, &l));
    l.inspection = res;
    l.inspection_report = report;
    x.ExtendLot(l);
    x.Save(keys::Lot(t.product, t.lot), l);
    subject = "lot " + t.lot + " of " + t.product;
    if (res == Inspection::kFail) {
      for (const auto& c : LotCodes(x, t.product, t.lot)) {
        ItemRec it;
        if (x.Load(keys::Item(c), &it)) items.push_back(std::move(it));
      }
    }
  } else {
    for (const auto& c : t.codes) {
      ItemRec it;
      TL_RETURN_IF_ERROR(x.LoadItem(c, &it));
      items.push_back(std::move(it));
    }
    subject = "code " + t.codes.front();
  }
  std::string alert;
  if (res == Inspection::kFail) {
    uint32_t newly = 0;
    for (const auto& it : items) newly += it.terminal == Terminal::kNone ? 1 : 0;
    // The message's shape is read by api/alert_text.cc (its Chinese text).
    alert = x.OpenAlert("inspection_failed", subject,
                        "inspection report " + Q(report) + " failed " + subject + "; " +
                            std::to_string(newly) + " item(s) quarantined",
                        newly);
    if (newly == 0) x.CloseAlert(alert);  // nothing left to hold
  }
  for (auto& it : items) {
    if (t.lot.empty()) it.inspection = res;
    if (res == Inspection::kFail && it.terminal == Terminal::kNone) x.Quarantine(it, alert);
    x.SaveItem(it);
  }
  x.Count(res == Inspection::kPass ? "inspections|pass" : "inspections|fail", 1);
  return Status::OK();
}

Status TxQuarantine(Exec& x) {
  Body b(x.env->body);
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx);
  b.Str("reason", 1, 256);
  TL_RETURN_IF_ERROR(b.Finish());
  std::vector<ItemRec> items;
  TL_RETURN_IF_ERROR(x.LoadExpanded(codes, false, &items));
  for (auto& it : items) {
    if (it.terminal != Terminal::kNone)
      return Reject("TERMINAL", "code " + Q(it.code) + " is " + TerminalName(it.terminal));
  }
  for (auto& it : items) {
    x.Quarantine(it, "");
    x.SaveItem(it);
  }
  return Status::OK();
}

Status TxRelease(Exec& x) {
  Body b(x.env->body);
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx);
  b.Str("reason", 1, 256);
  TL_RETURN_IF_ERROR(b.Finish());
  std::vector<ItemRec> items;
  TL_RETURN_IF_ERROR(x.LoadExpanded(codes, false, &items));
  for (const auto& c : codes) {
    auto it =
        std::find_if(items.begin(), items.end(), [&](const ItemRec& i) { return i.code == c; });
    if (it != items.end() && !it->quarantined && it->child_count == 0)
      return Reject("NOT_QUARANTINED", "code " + Q(c) + " is not quarantined");
  }
  for (auto& it : items) {
    if (!it.quarantined) continue;
    x.Unquarantine(it);
    x.SaveItem(it);
  }
  return Status::OK();
}

}  // namespace traceledger

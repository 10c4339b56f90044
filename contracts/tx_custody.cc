// trace.commission, trace.aggregate, trace.disaggregate, trace.ship,
// trace.receive and the overdue-shipment rule.
#include <algorithm>
#include <set>

#include "contracts/exec.h"
#include "contracts/ids.h"
#include "ledger/time_util.h"

namespace traceledger {

namespace {

constexpr int64_t kDayMs = 86400000;

// The shelf-life rule (docs/contracts.md, "trace.commission"): a product that
// states shelf_life_days may not be given an expiry later than its production
// date plus that many days. The production date is the UTC date of the
// payload's `time` (when the enterprise says it made the items): back-dating
// only moves the latest allowed expiry earlier, and a date ahead of the block
// time is bounded by max_future_skew, so the stated time cannot stretch it.
Status CheckShelfLife(Exec& x, const ProductRec& p, const std::string& lot, int64_t expiry_ms) {
  if (p.shelf_life_days == 0 || expiry_ms == 0) return Status::OK();
  int64_t t = x.env->time_ms;
  int64_t produced = (t >= 0 ? t / kDayMs : (t - kDayMs + 1) / kDayMs) * kDayMs;
  int64_t latest = produced + static_cast<int64_t>(p.shelf_life_days) * kDayMs;
  if (expiry_ms <= latest) return Status::OK();
  auto day = [](int64_t ms) { return FormatRfc3339Millis(ms).substr(0, 10); };
  return Reject("SHELF_LIFE_EXCEEDED",
                "expiry " + day(expiry_ms) + " of lot " + Q(lot) +
                    " is later than the production date " + day(produced) +
                    " (the payload time) + shelf_life_days " + std::to_string(p.shelf_life_days) +
                    " of product " + Q(p.code) + "; the latest allowed expiry is " + day(latest));
}

// Shared by trace.commission and trace.transform outputs: creates `codes` as new
// items of product/lot held by the signer.
Status CreateItems(Exec& x, const ProductRec& p, const std::string& lot, int64_t expiry_ms,
                   const std::vector<std::string>& codes, const std::string& origin,
                   const std::string& made_by) {
  if (p.owner != x.signer->uscc)
    return Reject("NOT_PRODUCT_OWNER",
                  "product " + Q(p.code) + " belongs to " + p.owner + ", not to " + x.signer->uscc);
  if (expiry_ms != 0 && x.ctx.time_ms >= expiry_ms + 86400000LL)
    return Reject("EXPIRED",
                  "lot " + Q(lot) + " expired on " + FormatRfc3339Millis(expiry_ms).substr(0, 10));
  TL_RETURN_IF_ERROR(CheckShelfLife(x, p, lot, expiry_ms));
  bool gtin_product = IsValidGtin14(p.code);
  for (const auto& code : codes) {
    std::string_view gtin = GtinOfCode(code);
    if (!gtin.empty() && (!gtin_product || gtin != p.code))
      return Reject("CODE_PRODUCT_MISMATCH", "code " + Q(code) + " carries GTIN " +
                                                 std::string(gtin) + " but the product is " +
                                                 Q(p.code));
    if (code.rfind("(00)", 0) == 0)
      return Reject("BAD_CODE", "code " + Q(code) + " is an SSCC (logistic unit), not an item");
    if (x.Exists(keys::Item(code)))
      return Reject("DUPLICATE_CODE", "code " + Q(code) + " is already commissioned");
  }
  LotRec l;
  bool new_lot = !x.Load(keys::Lot(p.code, lot), &l);
  if (new_lot) {
    l.product_code = p.code;
    l.lot = lot;
    l.commissioner = x.signer->uscc;
    l.expiry_ms = expiry_ms;
    l.imported = !origin.empty();
    l.origin_country = origin;
  } else {
    if (l.commissioner != x.signer->uscc)
      return Reject("LOT_MISMATCH", "lot " + Q(lot) + " of " + Q(p.code) + " was commissioned by " +
                                        l.commissioner);
    if (l.expiry_ms != expiry_ms || l.origin_country != origin)
      return Reject("LOT_MISMATCH", "lot " + Q(lot) + " of " + Q(p.code) +
                                        " already has another expiry or origin_country");
  }
  if (l.count + codes.size() > 1000000)
    return Reject("TOO_MANY", "lot " + Q(lot) + " would hold more than 1000000 codes");
  l.count += codes.size();
  x.Save(keys::Lot(p.code, lot), l);
  if (new_lot) x.Count("lots", 1);
  for (const auto& code : codes) {
    ItemRec it;
    it.code = code;
    it.product_code = p.code;
    it.lot = lot;
    it.category = p.category;
    it.expiry_ms = expiry_ms;
    it.custodian = x.signer->uscc;
    it.commissioner = x.signer->uscc;
    it.imported = l.imported;
    it.made_by = made_by;
    it.created_height = x.ctx.height;
    x.SaveItem(it);
    x.Put(keys::LotCode(p.code, lot, code), "");
    x.Put(keys::Holder(it.custodian, code), "");
  }
  x.Count("items_total", codes.size());
  x.Count(std::string("items_cat|") + CategoryName(p.category), codes.size());
  return Status::OK();
}

Status LoadProduct(Exec& x, const std::string& code, ProductRec* p) {
  if (!x.Load(keys::Product(code), p))
    return Reject("UNKNOWN_PRODUCT", "product " + Q(code) + " is not registered");
  return Status::OK();
}

Status CheckCustodian(Exec& x, const ItemRec& item) {
  if (item.custodian != x.signer->uscc)
    return Reject("NOT_CUSTODIAN", "code " + Q(item.code) + " is held by " + item.custodian +
                                       ", not by " + x.signer->uscc);
  return Status::OK();
}

}  // namespace

Status CreateItemsForTransform(Exec& x, const ProductRec& p, const std::string& lot,
                               int64_t expiry_ms, const std::vector<std::string>& codes) {
  return CreateItems(x, p, lot, expiry_ms, codes, "", x.tx_hex());
}

Status TxCommission(Exec& x) {
  Body b(x.env->body);
  std::string product = b.Str("product_code", 1, kMaxIdLength);
  std::string lot = b.Id("lot");
  int64_t expiry = b.Date("expiry");
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx);
  b.Str("location", 1, 128);
  std::string origin = b.Str("origin_country", 2, 2, false);
  if (!origin.empty() && !(std::isupper(origin[0]) && std::isupper(origin[1])))
    b.Fail("BAD_BODY", b.Path("origin_country"), "must be an ISO 3166 alpha-2 code like \"EC\"");
  TL_RETURN_IF_ERROR(b.Finish());
  ProductRec p;
  TL_RETURN_IF_ERROR(LoadProduct(x, product, &p));
  if (!origin.empty() && !x.signer->Has(kImporter))
    return Reject("ROLE_FORBIDDEN", "only an importer may commission with origin_country");
  if (origin.empty() && !x.signer->Has(kManufacturer | kProducer))
    return Reject("BAD_BODY", "body.origin_country: missing (an importer commissions imports)");
  return CreateItems(x, p, lot, expiry, codes, origin, "");
}

Status TxAggregate(Exec& x) {
  Body b(x.env->body);
  std::string parent_code = b.Str("parent", 1, kMaxCodeLength);
  std::string why;
  if (!parent_code.empty() && !IsValidCode(parent_code, &why))
    b.Fail("BAD_CODE", b.Path("parent"), Q(parent_code) + " " + why);
  std::vector<std::string> children = b.Codes("children", kMaxCodesPerTx);
  TL_RETURN_IF_ERROR(b.Finish());
  ItemRec parent;
  if (x.Load(keys::Item(parent_code), &parent)) {
    TL_RETURN_IF_ERROR(CheckCustodian(x, parent));
    TL_RETURN_IF_ERROR(x.CheckMovable(parent));
  } else {
    // A new logistic unit (case, pallet): it exists from now on, held by the signer.
    parent.code = parent_code;
    parent.custodian = x.signer->uscc;
    parent.commissioner = x.signer->uscc;
    parent.created_height = x.ctx.height;
    x.Put(keys::Holder(parent.custodian, parent.code), "");
    x.Count("logistic_units", 1);
  }
  if (parent.child_count + children.size() > kMaxChildrenPerParent)
    return Reject("TOO_MANY", "aggregate " + Q(parent_code) + " would hold more than " +
                                  std::to_string(kMaxChildrenPerParent) + " children");
  // The parent's ancestors, to refuse cycles and overly deep nesting.
  std::set<std::string> ancestors{parent.code};
  size_t depth = 1;
  for (std::string up = parent.parent; !up.empty(); ++depth) {
    ancestors.insert(up);
    ItemRec a;
    if (!x.Load(keys::Item(up), &a)) break;
    up = a.parent;
  }
  for (const auto& code : children) {
    ItemRec c;
    TL_RETURN_IF_ERROR(x.LoadItem(code, &c));
    TL_RETURN_IF_ERROR(CheckCustodian(x, c));
    TL_RETURN_IF_ERROR(x.CheckMovable(c));
    if (ancestors.count(code))
      return Reject("BAD_BODY", "body.children: " + Q(code) + " would contain itself");
    if (!c.parent.empty())
      return Reject("AGGREGATED", "code " + Q(code) + " is already packed inside " + Q(c.parent));
    if (c.child_count > 0 && depth + 1 >= kMaxAggregationDepth)
      return Reject("TOO_MANY", "aggregation would nest deeper than " +
                                    std::to_string(kMaxAggregationDepth) + " levels");
    c.parent = parent.code;
    x.SaveItem(c);
    x.Put(keys::Child(parent.code, code), "");
  }
  parent.child_count += children.size();
  x.SaveItem(parent);
  return Status::OK();
}

Status TxDisaggregate(Exec& x) {
  Body b(x.env->body);
  std::string parent_code = b.Str("parent", 1, kMaxCodeLength);
  TL_RETURN_IF_ERROR(b.Finish());
  ItemRec parent;
  TL_RETURN_IF_ERROR(x.LoadItem(parent_code, &parent));
  TL_RETURN_IF_ERROR(CheckCustodian(x, parent));
  if (!parent.shipment_id.empty())
    return Reject("IN_TRANSIT", "code " + Q(parent_code) + " is in transit");
  if (parent.terminal != Terminal::kNone)
    return Reject("TERMINAL", "code " + Q(parent_code) + " is " + TerminalName(parent.terminal));
  if (parent.child_count == 0)
    return Reject("NOT_AGGREGATE", "code " + Q(parent_code) + " holds no items");
  std::vector<std::string> children;
  x.Scan(keys::ChildPrefix(parent_code), [&](std::string_view k, std::string_view) {
    children.emplace_back(k.substr(4 + parent_code.size()));
    return true;
  });
  for (const auto& code : children) {
    ItemRec c;
    if (!x.Load(keys::Item(code), &c)) continue;
    c.parent.clear();
    x.SaveItem(c);
    x.Del(keys::Child(parent_code, code));
  }
  parent.child_count = 0;
  x.SaveItem(parent);
  return Status::OK();
}

Status TxShip(Exec& x) {
  Body b(x.env->body);
  ShipmentRec s;
  s.id = b.Id("shipment_id");
  s.codes = b.Codes("codes", kMaxCodesPerTx);
  s.to = b.Uscc("to");
  s.carrier = b.Uscc("carrier");
  s.vehicle = b.Str("vehicle", 1, 32);
  s.expected_ms = b.Time("expected_arrival", false);
  TL_RETURN_IF_ERROR(b.Finish());
  if (x.Exists(keys::Shipment(s.id)))
    return Reject("DUPLICATE_SHIPMENT", "shipment " + Q(s.id) + " already exists");
  if (s.to == x.signer->uscc) return Reject("BAD_BODY", "body.to: cannot ship to oneself");
  EnterpriseRec to;
  if (!x.Load(keys::Enterprise(s.to), &to))
    return Reject("UNKNOWN_ENTERPRISE", "receiver " + s.to + " is not enrolled");
  if (to.suspended) return Reject("RECEIVER_SUSPENDED", "receiver " + s.to + " is suspended");
  std::vector<ItemRec> items;
  TL_RETURN_IF_ERROR(x.LoadExpanded(s.codes, /*top_level_only=*/true, &items));
  for (auto& it : items) {
    TL_RETURN_IF_ERROR(CheckCustodian(x, it));
    TL_RETURN_IF_ERROR(x.CheckMovable(it));
    if (x.Expired(it))
      return Reject("EXPIRED", "code " + Q(it.code) + " expired on " +
                                   FormatRfc3339Millis(it.expiry_ms).substr(0, 10) +
                                   " and cannot be shipped onward");
    if (it.imported && !x.ImportFirstMove(it)) TL_RETURN_IF_ERROR(x.CheckImportDocuments(it));
  }
  for (auto& it : items) {
    it.shipment_id = s.id;
    x.SaveItem(it);
  }
  s.from = x.signer->uscc;
  s.remaining = s.codes.size();
  s.shipped_height = x.ctx.height;
  s.shipped_time_ms = x.ctx.time_ms;
  s.deadline_ms =
      s.expected_ms ? s.expected_ms : x.ctx.time_ms + x.g.params.default_shipment_deadline_ms;
  x.Save(keys::Shipment(s.id), s);
  x.Put(keys::ShipmentDue(s.deadline_ms, s.id), "");
  x.Count("shipments_open", 1);
  x.Count("shipments", 1);
  return Status::OK();
}

Status TxReceive(Exec& x) {
  Body b(x.env->body);
  std::string id = b.Id("shipment_id");
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx, false);
  b.Enum("condition", {"good", "damaged"}, false);
  TL_RETURN_IF_ERROR(b.Finish());
  ShipmentRec s;
  if (!x.Load(keys::Shipment(id), &s))
    return Reject("UNKNOWN_SHIPMENT", "shipment " + Q(id) + " does not exist");
  if (s.to != x.signer->uscc)
    return Reject("NOT_RECEIVER",
                  "shipment " + Q(id) + " is addressed to " + s.to + ", not to " + x.signer->uscc);
  if (!s.open) return Reject("SHIPMENT_CLOSED", "shipment " + Q(id) + " was fully received");
  if (codes.empty()) {
    for (const auto& c : s.codes) {
      ItemRec it;
      if (x.Load(keys::Item(c), &it) && it.shipment_id == id) codes.push_back(c);
    }
  } else {
    for (const auto& c : codes) {
      if (std::find(s.codes.begin(), s.codes.end(), c) == s.codes.end())
        return Reject("NOT_IN_SHIPMENT", "code " + Q(c) + " is not in shipment " + Q(id));
    }
  }
  std::vector<ItemRec> items;
  TL_RETURN_IF_ERROR(x.LoadExpanded(codes, false, &items));
  for (auto& it : items) {
    if (it.shipment_id != id)
      return Reject("ALREADY_RECEIVED",
                    "code " + Q(it.code) + " is no longer in transit in " + "shipment " + Q(id));
  }
  for (auto& it : items) {
    it.shipment_id.clear();
    x.SetCustodian(it, s.to);
    x.SaveItem(it);
  }
  s.remaining -= std::min<uint32_t>(s.remaining, codes.size());
  if (s.remaining == 0) {
    s.open = false;
    x.Count("shipments_open", -1);
    if (s.overdue_alert.empty())
      x.Del(keys::ShipmentDue(s.deadline_ms, s.id));
    else
      x.CloseAlert(s.overdue_alert);
  }
  x.Save(keys::Shipment(id), s);
  return Status::OK();
}

void RaiseOverdueShipments(Exec& x) {
  std::vector<std::pair<std::string, std::string>> due;  // key, shipment id
  x.Scan(keys::kShipmentDuePrefix, [&](std::string_view k, std::string_view) {
    // so|MS13|ID
    int64_t ms = std::strtoll(std::string(k.substr(3, 13)).c_str(), nullptr, 10);
    if (ms >= x.ctx.time_ms) return false;
    due.emplace_back(std::string(k), std::string(k.substr(17)));
    return true;
  });
  for (const auto& [key, id] : due) {
    x.Del(key);
    ShipmentRec s;
    if (!x.Load(keys::Shipment(id), &s) || !s.open) continue;
    // The message's shape is read by api/alert_text.cc (its Chinese text).
    s.overdue_alert =
        x.OpenAlert("overdue_shipment", id,
                    "shipment " + Q(id) + " from " + s.from + " to " + s.to + " was due " +
                        FormatRfc3339Millis(s.deadline_ms) + " and is not received",
                    0);
    x.Save(keys::Shipment(id), s);
    x.Count("shipments_overdue", 1);
  }
}

}  // namespace traceledger

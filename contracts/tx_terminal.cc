// trace.transform, trace.dispense and trace.destroy: the ways an item leaves
// circulation.
#include "contracts/exec.h"
#include "contracts/ids.h"
#include "ledger/time_util.h"

namespace traceledger {

Status CreateItemsForTransform(Exec& x, const ProductRec& p, const std::string& lot,
                               int64_t expiry_ms, const std::vector<std::string>& codes);

namespace {
Status CheckCustodian(Exec& x, const ItemRec& item) {
  if (item.custodian != x.signer->uscc)
    return Reject("NOT_CUSTODIAN", "code " + Q(item.code) + " is held by " + item.custodian +
                                       ", not by " + x.signer->uscc);
  return Status::OK();
}
std::string Day(int64_t ms) { return FormatRfc3339Millis(ms).substr(0, 10); }
}  // namespace

Status TxTransform(Exec& x) {
  Body b(x.env->body);
  std::vector<std::string> inputs = b.Codes("inputs", kMaxCodesPerTx);
  const nlohmann::json* outputs = b.Object("outputs");
  TL_RETURN_IF_ERROR(b.Finish());
  Body o(*outputs, "body.outputs");
  std::string product = o.Str("product_code", 1, kMaxIdLength);
  std::string lot = o.Id("lot");
  int64_t expiry = o.Date("expiry");
  std::vector<std::string> codes = o.Codes("codes", kMaxCodesPerTx);
  TL_RETURN_IF_ERROR(o.Finish());
  for (const auto& c : codes) {
    for (const auto& i : inputs)
      if (c == i) return Reject("BAD_BODY", "body.outputs.codes: " + Q(c) + " is also an input");
  }
  std::vector<ItemRec> in;
  for (const auto& c : inputs) {
    ItemRec it;
    TL_RETURN_IF_ERROR(x.LoadItem(c, &it));
    TL_RETURN_IF_ERROR(CheckCustodian(x, it));
    TL_RETURN_IF_ERROR(x.CheckMovable(it));
    if (!it.parent.empty() || it.child_count > 0)
      return Reject("AGGREGATED", "code " + Q(c) + " is part of an aggregate; disaggregate first");
    if (it.product_code.empty())
      return Reject("BAD_BODY", "body.inputs: " + Q(c) + " is a logistic unit, not a product");
    if (x.Expired(it))
      return Reject("EXPIRED", "input " + Q(c) + " expired on " + Day(it.expiry_ms));
    in.push_back(std::move(it));
  }
  ProductRec p;
  if (!x.Load(keys::Product(product), &p))
    return Reject("UNKNOWN_PRODUCT", "product " + Q(product) + " is not registered");
  TL_RETURN_IF_ERROR(CreateItemsForTransform(x, p, lot, expiry, codes));
  for (auto& it : in) {
    it.terminal = Terminal::kTransformed;
    it.transformed_into = x.tx_hex();
    x.SaveItem(it);
  }
  TransformRec t{x.env->tx_id, inputs, codes, product, lot};
  x.Save(keys::Transform(x.tx_hex()), t);
  x.Count("transforms", 1);
  return Status::OK();
}

Status TxDispense(Exec& x) {
  Body b(x.env->body);
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx);
  std::string kind = b.Enum("kind", {"sold", "administered", "consumed"});
  b.Sha256Hex("recipient_hash", false);
  TL_RETURN_IF_ERROR(b.Finish());
  Terminal t = kind == "sold"           ? Terminal::kSold
               : kind == "administered" ? Terminal::kAdministered
                                        : Terminal::kConsumed;
  std::vector<ItemRec> items;
  std::map<std::string, ProductRec> products;
  std::map<std::string, LotRec> lots;
  for (const auto& c : codes) {
    ItemRec it;
    TL_RETURN_IF_ERROR(x.LoadItem(c, &it));
    if (it.terminal == Terminal::kAdministered)
      return Reject("ALREADY_ADMINISTERED", "dose " + Q(c) + " was already administered");
    if (it.terminal != Terminal::kNone)
      return Reject("TERMINAL", "code " + Q(c) + " is " + TerminalName(it.terminal));
    TL_RETURN_IF_ERROR(CheckCustodian(x, it));
    TL_RETURN_IF_ERROR(x.CheckMovable(it));
    if (!it.parent.empty() || it.child_count > 0 || it.product_code.empty())
      return Reject("AGGREGATED",
                    "code " + Q(c) + " is a case or inside one; dispense single items");
    if (x.Expired(it))
      return Reject("EXPIRED", "code " + Q(c) + " expired on " + Day(it.expiry_ms));
    if (it.category == Category::kVaccine) {
      if (t != Terminal::kAdministered)
        return Reject("BAD_BODY", "body.kind: vaccine dose " + Q(c) + " can only be administered");
      if (!x.signer->Has(kVaccinationSite))
        return Reject("ROLE_FORBIDDEN",
                      "vaccine dose " + Q(c) + " may be administered only at a vaccination site");
    }
    TL_RETURN_IF_ERROR(x.CheckImportDocuments(it));
    auto pit = products.find(it.product_code);
    if (pit == products.end()) {
      ProductRec p;
      x.Load(keys::Product(it.product_code), &p);
      pit = products.emplace(it.product_code, p).first;
    }
    if (pit->second.requires_inspection && it.inspection != Inspection::kPass) {
      std::string lk = keys::Lot(it.product_code, it.lot);
      auto lit = lots.find(lk);
      if (lit == lots.end()) {
        LotRec l;
        x.Load(lk, &l);
        lit = lots.emplace(lk, l).first;
      }
      if (lit->second.inspection != Inspection::kPass)
        return Reject("INSPECTION_REQUIRED", "code " + Q(c) + " (lot " + Q(it.lot) +
                                                 ") needs a passing inspection before sale");
    }
    items.push_back(std::move(it));
  }
  for (auto& it : items) {
    it.terminal = t;
    x.SaveItem(it);
  }
  x.Count(std::string("dispensed|") + kind, items.size());
  return Status::OK();
}

Status TxDestroy(Exec& x) {
  Body b(x.env->body);
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx);
  b.Str("reason", 1, 256);
  TL_RETURN_IF_ERROR(b.Finish());
  std::vector<ItemRec> items;
  TL_RETURN_IF_ERROR(x.LoadExpanded(codes, /*top_level_only=*/true, &items));
  for (const auto& it : items) {
    if (it.terminal != Terminal::kNone)
      return Reject("TERMINAL", "code " + Q(it.code) + " is already " + TerminalName(it.terminal));
    if (!it.shipment_id.empty())
      return Reject("IN_TRANSIT",
                    "code " + Q(it.code) + " is in transit in shipment " + Q(it.shipment_id));
    if (!x.signer->regulator) {
      TL_RETURN_IF_ERROR(CheckCustodian(x, it));
      if (!it.recall_id.empty())
        return Reject("RECALLED", "code " + Q(it.code) + " is frozen by recall " + Q(it.recall_id) +
                                      "; answer with recall.respond");
    }
  }
  for (auto& it : items) {
    x.Unquarantine(it);
    x.ResolveObligation(it);
    it.terminal = Terminal::kDestroyed;
    x.SaveItem(it);
  }
  x.Count("destroyed", items.size());
  return Status::OK();
}

}  // namespace traceledger

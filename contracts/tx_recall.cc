// recall.issue, recall.respond and recall.close.
#include <set>

#include "contracts/exec.h"
#include "contracts/ids.h"

namespace traceledger {

namespace {
Status LoadOpenRecall(Exec& x, const std::string& id, RecallRec* r) {
  if (!x.Load(keys::Recall(id), r))
    return Reject("UNKNOWN_RECALL", "recall " + Q(id) + " does not exist");
  if (!r->open) return Reject("RECALL_CLOSED", "recall " + Q(id) + " is closed");
  return Status::OK();
}
}  // namespace

Status TxRecallIssue(Exec& x) {
  Body b(x.env->body);
  RecallRec r;
  r.id = b.Id("recall_id");
  r.product_code = b.Str("product_code", 1, kMaxIdLength);
  if (b.OneOf("lots", "codes")) {
    if (b.Has("lots"))
      r.lots = b.Ids("lots", kMaxLotsPerRecall);
    else
      r.codes = b.Codes("codes", kMaxCodesPerTx);
  }
  r.level = b.Int("level", 1, 3, true).value_or(0);
  r.reason = b.Str("reason", 1, 512);
  TL_RETURN_IF_ERROR(b.Finish());
  if (x.Exists(keys::Recall(r.id)))
    return Reject("DUPLICATE_RECALL", "recall " + Q(r.id) + " already exists");
  if (!x.Exists(keys::Product(r.product_code)))
    return Reject("UNKNOWN_PRODUCT", "product " + Q(r.product_code) + " is not registered");

  // Seeds: the listed codes, or every code of the listed lots.
  std::vector<std::string> queue;
  for (const auto& lot : r.lots) {
    LotRec l;
    if (!x.Load(keys::Lot(r.product_code, lot), &l))
      return Reject("UNKNOWN_LOT",
                    "lot " + Q(lot) + " of " + Q(r.product_code) + " is not commissioned");
    x.ExtendLot(l);  // a recall naming the lot is an event of the lot
    x.Save(keys::Lot(r.product_code, lot), l);
    std::string prefix = keys::LotCodePrefix(r.product_code, lot);
    x.Scan(prefix, [&](std::string_view k, std::string_view) {
      queue.emplace_back(k.substr(prefix.size()));
      return queue.size() <= kMaxRecallItems;
    });
  }
  for (const auto& c : r.codes) {
    ItemRec it;
    TL_RETURN_IF_ERROR(x.LoadItem(c, &it));
    if (it.product_code != r.product_code)
      return Reject("CODE_PRODUCT_MISMATCH", "code " + Q(c) + " is product " + Q(it.product_code) +
                                                 ", not " + Q(r.product_code));
    queue.push_back(c);
  }
  // Affected: the seeds, what is packed inside them, and everything made from
  // them by transformation, transitively. Breadth first, in a fixed order.
  std::set<std::string> seen(queue.begin(), queue.end());
  std::map<std::string, uint32_t> holders;
  for (size_t qi = 0; qi < queue.size(); ++qi) {
    if (queue.size() > kMaxRecallItems)
      return Reject("RECALL_TOO_LARGE", "recall " + Q(r.id) + " would reach more than " +
                                            std::to_string(kMaxRecallItems) + " items");
    ItemRec it;
    if (!x.Load(keys::Item(queue[qi]), &it)) continue;
    if (it.child_count > 0) {
      x.Scan(keys::ChildPrefix(it.code), [&](std::string_view k, std::string_view) {
        std::string child(k.substr(4 + it.code.size()));
        if (seen.insert(child).second) queue.push_back(child);
        return true;
      });
    }
    if (!it.transformed_into.empty()) {
      TransformRec t;
      if (x.Load(keys::Transform(it.transformed_into), &t)) {
        for (const auto& out : t.outputs)
          if (seen.insert(out).second) queue.push_back(out);
      }
    }
    ++r.affected;
    if (it.terminal != Terminal::kNone) {
      if (it.terminal == Terminal::kSold || it.terminal == Terminal::kAdministered ||
          it.terminal == Terminal::kConsumed)
        ++r.reached_consumers;
      continue;
    }
    if (!it.recall_id.empty()) continue;  // already frozen by an open recall
    it.recall_id = r.id;
    x.Put(keys::Obligation(r.id, it.code), it.custodian);
    ++holders[it.custodian];
    ++r.outstanding;
    x.SaveItem(it);
  }
  for (const auto& [uscc, n] : holders) x.Put(keys::RecallHolder(r.id, uscc), std::to_string(n));
  r.issuer = x.signer->name;
  r.issued_height = x.ctx.height;
  x.Count("recalls", 1);
  x.Count("recalls_open", 1);
  // The message's shape is read by api/alert_text.cc (its Chinese text).
  r.alert_id =
      x.OpenAlert("recall", r.id,
                  "recall " + Q(r.id) + " (level " + std::to_string(r.level) + ") of " +
                      Q(r.product_code) + ": " + std::to_string(r.outstanding) + " item(s) at " +
                      std::to_string(holders.size()) + " holder(s) must be returned or destroyed",
                  r.outstanding);
  if (r.outstanding == 0) x.CloseRecall(r, "auto: no affected item left in circulation");
  x.Save(keys::Recall(r.id), r);
  return Status::OK();
}

Status TxRecallRespond(Exec& x) {
  Body b(x.env->body);
  std::string id = b.Id("recall_id");
  std::vector<std::string> codes = b.Codes("codes", kMaxCodesPerTx);
  std::string action = b.Enum("action", {"returned", "destroyed"});
  TL_RETURN_IF_ERROR(b.Finish());
  RecallRec r;
  TL_RETURN_IF_ERROR(LoadOpenRecall(x, id, &r));
  std::vector<ItemRec> items;
  for (const auto& c : codes) {
    ItemRec it;
    TL_RETURN_IF_ERROR(x.LoadItem(c, &it));
    if (it.recall_id != id || !x.Exists(keys::Obligation(id, c)))
      return Reject("NOT_RECALLED",
                    "code " + Q(c) + " has no open obligation under recall " + Q(id));
    if (it.custodian != x.signer->uscc)
      return Reject("NOT_CUSTODIAN", "code " + Q(c) + " is held by " + it.custodian);
    if (!it.shipment_id.empty())
      return Reject("IN_TRANSIT", "code " + Q(c) + " is in transit; receive it first");
    items.push_back(std::move(it));
  }
  for (auto& it : items) {
    x.Unquarantine(it);
    x.ResolveObligation(it);
    it.terminal = action == "returned" ? Terminal::kReturned : Terminal::kDestroyed;
    x.SaveItem(it);
  }
  x.Count("recall_responses", items.size());
  return Status::OK();
}

Status TxRecallClose(Exec& x) {
  Body b(x.env->body);
  std::string id = b.Id("recall_id");
  std::string reason = b.Str("reason", 1, 512);
  TL_RETURN_IF_ERROR(b.Finish());
  RecallRec r;
  TL_RETURN_IF_ERROR(LoadOpenRecall(x, id, &r));
  // Outstanding items are unfrozen; their obligations end.
  std::vector<std::string> codes;
  std::string prefix = keys::ObligationPrefix(id);
  x.Scan(prefix, [&](std::string_view k, std::string_view) {
    codes.emplace_back(k.substr(prefix.size()));
    return true;
  });
  for (const auto& c : codes) {
    x.Del(keys::Obligation(id, c));
    ItemRec it;
    if (!x.Load(keys::Item(c), &it)) continue;
    it.recall_id.clear();
    x.SaveItem(it);
  }
  std::vector<std::string> holders;
  x.Scan(keys::RecallHolderPrefix(id), [&](std::string_view k, std::string_view) {
    holders.emplace_back(k);
    return true;
  });
  for (const auto& k : holders) x.Del(k);
  x.CloseRecall(r, "closed by " + x.signer->name + ": " + reason);
  x.Save(keys::Recall(id), r);
  return Status::OK();
}

}  // namespace traceledger

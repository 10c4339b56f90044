// registry.* and product.register.
#include <set>

#include "contracts/exec.h"
#include "contracts/ids.h"
#include "ledger/hex.h"

namespace traceledger {

namespace {
Status KeyFree(Exec& x, const std::string& key) {
  if (x.engine.RegulatorName(key) || x.Exists(keys::SignerKey(key)))
    return Reject("KEY_IN_USE", "public key " + ToHex(key) + " already belongs to a signer");
  return Status::OK();
}
}  // namespace

Status TxEnroll(Exec& x) {
  Body b(x.env->body);
  EnterpriseRec e;
  e.uscc = b.Uscc("uscc");
  e.name = b.Str("name", 1, 128);
  e.region = b.Str("region", 1, 64);
  e.public_key = b.PublicKey("public_key");
  std::vector<std::string> roles = b.Strings("roles", kRoleCount, 32);
  std::set<std::string> seen;
  for (size_t i = 0; i < roles.size() && b.ok(); ++i) {
    uint32_t bit = ParseRole(roles[i]);
    std::string p = b.Path("roles") + "[" + std::to_string(i) + "]";
    if (!bit)
      b.Fail("BAD_BODY", p, Q(roles[i]) + " is not a role");
    else if (!seen.insert(roles[i]).second)
      b.Fail("BAD_BODY", p, "listed twice");
    e.roles |= bit;
  }
  TL_RETURN_IF_ERROR(b.Finish());
  if (x.Exists(keys::Enterprise(e.uscc)))
    return Reject("ALREADY_ENROLLED", "enterprise " + e.uscc + " is already enrolled");
  TL_RETURN_IF_ERROR(KeyFree(x, e.public_key));
  e.enrolled_height = x.ctx.height;
  x.Save(keys::Enterprise(e.uscc), e);
  x.Put(keys::SignerKey(e.public_key), e.uscc);
  x.Count("enterprises", 1);
  for (int i = 0; i < kRoleCount; ++i)
    if (e.roles & (1u << i)) x.Count(std::string("role|") + RoleName(i), 1);
  return Status::OK();
}

static Status SetSuspended(Exec& x, bool suspend) {
  Body b(x.env->body);
  std::string uscc = b.Uscc("uscc");
  std::string reason = b.Str("reason", 1, 256);
  TL_RETURN_IF_ERROR(b.Finish());
  EnterpriseRec e;
  if (!x.Load(keys::Enterprise(uscc), &e))
    return Reject("UNKNOWN_ENTERPRISE", "enterprise " + uscc + " is not enrolled");
  if (e.suspended == suspend)
    return Reject(suspend ? "ALREADY_SUSPENDED" : "NOT_SUSPENDED",
                  "enterprise " + uscc + (suspend ? " is already suspended" : " is not suspended"));
  e.suspended = suspend;
  e.reason = reason;
  x.Save(keys::Enterprise(uscc), e);
  x.Count("enterprises_suspended", suspend ? 1 : -1);
  return Status::OK();
}

Status TxSuspend(Exec& x) { return SetSuspended(x, true); }
Status TxReinstate(Exec& x) { return SetSuspended(x, false); }

Status TxRotateKey(Exec& x) {
  Body b(x.env->body);
  std::string key = b.PublicKey("new_public_key");
  TL_RETURN_IF_ERROR(b.Finish());
  TL_RETURN_IF_ERROR(KeyFree(x, key));
  EnterpriseRec e = x.signer->ent;
  x.Del(keys::SignerKey(e.public_key));
  x.Put(keys::SignerKey(key), e.uscc);
  e.public_key = key;
  x.Save(keys::Enterprise(e.uscc), e);
  return Status::OK();
}

Status TxProductRegister(Exec& x) {
  Body b(x.env->body);
  ProductRec p;
  p.code = b.Str("product_code", 1, kMaxIdLength);
  bool digits = !p.code.empty() && p.code.find_first_not_of("0123456789") == std::string::npos;
  if (digits && !IsValidGtin14(p.code))
    b.Fail("BAD_GTIN", b.Path("product_code"),
           Q(p.code) + " is not a GTIN-14 (14 digits, GS1 check digit)");
  else if (!p.code.empty() && !digits && !IsValidId(p.code))
    b.Fail("BAD_BODY", b.Path("product_code"), "must be a GTIN-14 or 1..64 of [A-Za-z0-9-._:/+]");
  p.name = b.Str("name", 1, 128);
  std::string cat = b.Enum("category", {"vaccine", "drug", "cold_chain_food", "food"});
  if (!cat.empty()) ParseCategory(cat, &p.category);
  auto min = b.Celsius("temp_min_c");
  auto max = b.Celsius("temp_max_c");
  std::string profile = b.Str("temp_profile", 1, 64, false);
  auto shelf = b.Int("shelf_life_days", 1, 36500);
  auto insp = b.Bool("requires_inspection");
  TL_RETURN_IF_ERROR(b.Finish());
  if (min && max && *min > *max)
    return Reject("BAD_BODY", "body.temp_min_c: is above body.temp_max_c");
  if (!profile.empty() && (min || max))
    return Reject("BAD_BODY", "body.temp_profile: give a profile or explicit bounds, not both");
  std::optional<TempRange> range;
  if (!profile.empty()) {
    auto it = x.g.params.temperature_profiles.find(profile);
    if (it == x.g.params.temperature_profiles.end())
      return Reject("BAD_BODY", "body.temp_profile: " + Q(profile) + " is not a genesis profile");
    range = it->second;
  } else if (min || max) {
    range = TempRange{min, max};
  } else {
    range = x.g.params.CategoryRange(cat);
  }
  if (range) {
    p.has_min = range->min_c.has_value();
    p.has_max = range->max_c.has_value();
    p.min_c = range->min_c.value_or(0);
    p.max_c = range->max_c.value_or(0);
  }
  p.shelf_life_days = shelf.value_or(0);
  p.requires_inspection = insp.value_or(false);
  p.owner = x.signer->uscc;
  p.registered_height = x.ctx.height;
  if (x.Exists(keys::Product(p.code)))
    return Reject("DUPLICATE_PRODUCT", "product " + Q(p.code) + " is already registered");
  x.Save(keys::Product(p.code), p);
  x.Count("products", 1);
  return Status::OK();
}

}  // namespace traceledger

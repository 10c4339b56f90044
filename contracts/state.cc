#include "contracts/state.h"

#include <cstdio>
#include <type_traits>

#include "contracts/codec.h"
#include "ledger/hex.h"

namespace traceledger {
namespace {

constexpr const char* kRoleNames[kRoleCount] = {
    "producer", "manufacturer", "importer", "logistics",        "warehouse", "distributor",
    "retailer", "caterer",      "pharmacy", "vaccination_site", "lab"};

// A string field that holds raw bytes (a hash, a raw tx id or key), not text:
// Fields() wraps those in Raw(); every other string field is text, checked as
// UTF-8 when encoded (contracts/codec.h). Same encoding either way.
struct RawRef {
  std::string& s;
};
RawRef Raw(std::string& s) { return RawRef{s}; }
struct RawListRef {
  std::vector<std::string>& v;
};
RawListRef Raw(std::vector<std::string>& v) { return RawListRef{v}; }

// Visitors that walk a record's fields in one fixed order, for both directions.
struct Enc {
  explicit Enc(size_t reserve) : w(reserve) {}
  Writer w;
  void operator()(const std::string& s) { w.Text(s); }
  void operator()(const std::vector<std::string>& v) { w.Texts(v); }
  void operator()(RawRef b) { w.Bytes(b.s); }
  void operator()(RawListRef l) {
    w.U32(static_cast<uint32_t>(l.v.size()));
    for (const auto& s : l.v) w.Bytes(s);
  }
  void operator()(bool v) { w.Bool(v); }
  void operator()(uint32_t v) { w.U32(v); }
  void operator()(uint64_t v) { w.U64(v); }
  void operator()(int64_t v) { w.I64(v); }
  void operator()(double v) { w.F64(v); }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E e) { w.U8(static_cast<uint8_t>(e)); }
};

struct Dec {
  Reader r;
  bool ok = true;
  void operator()(std::string& s) { ok = ok && r.Str(&s); }
  void operator()(std::vector<std::string>& v) { ok = ok && r.Strs(&v); }
  void operator()(RawRef b) { ok = ok && r.Str(&b.s); }
  void operator()(RawListRef l) { ok = ok && r.Strs(&l.v); }
  void operator()(bool& v) { ok = ok && r.Bool(&v); }
  void operator()(uint32_t& v) { ok = ok && r.U32(&v); }
  void operator()(uint64_t& v) { ok = ok && r.U64(&v); }
  void operator()(int64_t& v) { ok = ok && r.I64(&v); }
  void operator()(double& v) { ok = ok && r.F64(&v); }
  template <typename E>
  requires std::is_enum_v<E>
  void operator()(E& e) {
    uint8_t b = 0;
    ok = ok && r.U8(&b);
    e = static_cast<E>(b);
  }
};

template <typename V>
void Fields(V& v, EnterpriseRec& r) {
  v(r.uscc), v(r.name), v(r.region), v(Raw(r.public_key)), v(r.roles), v(r.suspended), v(r.reason),
      v(r.enrolled_height);
}
template <typename V>
void Fields(V& v, ProductRec& r) {
  v(r.code), v(r.name), v(r.owner), v(r.category), v(r.has_min), v(r.has_max), v(r.min_c),
      v(r.max_c), v(r.shelf_life_days), v(r.requires_inspection), v(r.registered_height);
}
template <typename V>
void Fields(V& v, LotRec& r) {
  v(r.product_code), v(r.lot), v(r.commissioner), v(r.expiry_ms), v(r.imported),
      v(r.origin_country), v(r.count), v(r.inspection), v(r.inspection_report), v(Raw(r.head)),
      v(r.event_count);
}
template <typename V>
void Fields(V& v, ItemRec& r) {
  v(r.code), v(r.product_code), v(r.lot), v(r.category), v(r.expiry_ms), v(r.custodian),
      v(r.commissioner), v(r.shipment_id), v(r.parent), v(r.child_count), v(r.quarantined),
      v(r.imported), v(r.recall_id), v(r.terminal), v(r.inspection), v(r.transformed_into),
      v(r.made_by), v(Raw(r.head)), v(r.event_count), v(r.created_height);
}
template <typename V>
void Fields(V& v, ShipmentRec& r) {
  v(r.id), v(r.from), v(r.to), v(r.carrier), v(r.vehicle), v(r.expected_ms), v(r.deadline_ms),
      v(r.codes), v(r.remaining), v(r.open), v(r.overdue_alert), v(r.shipped_height),
      v(r.shipped_time_ms);
}
template <typename V>
void Fields(V& v, RecallRec& r) {
  v(r.id), v(r.product_code), v(r.reason), v(r.issuer), v(r.lots), v(r.codes), v(r.level),
      v(r.open), v(r.affected), v(r.outstanding), v(r.reached_consumers), v(r.issued_height),
      v(r.closed_height), v(r.close_reason), v(r.alert_id);
}
template <typename V>
void Fields(V& v, AlertRec& r) {
  v(r.id), v(r.kind), v(r.subject), v(r.message), v(Raw(r.tx_id)), v(r.open), v(r.pending),
      v(r.height), v(r.closed_height), v(r.time_ms);
}
template <typename V>
void Fields(V& v, DocumentRec& r) {
  v(r.doc_type), v(r.doc_id), v(r.sha256), v(r.issuer), v(r.signer), v(Raw(r.tx_id)), v(r.height);
}
template <typename V>
void Fields(V& v, TransformRec& r) {
  v(Raw(r.tx_id)), v(r.inputs), v(r.outputs), v(r.output_product), v(r.output_lot);
}
template <typename V>
void Fields(V& v, EventRec& r) {
  v(Raw(r.tx_id)), v(r.height), v(r.index), v(r.type), v(r.link), v(r.links), v(Raw(r.path));
}

// Usual encoded sizes (a GS1 item with a hash chain head is ~230 bytes).
template <typename R>
constexpr size_t kReserve = 192;
template <>
constexpr size_t kReserve<ItemRec> = 288;
template <>
constexpr size_t kReserve<ShipmentRec> = 256;
template <>
constexpr size_t kReserve<RecallRec> = 256;
template <>
constexpr size_t kReserve<EventRec> = 64;

template <typename R>
std::string EncodeRec(const R& r) {
  Enc e(kReserve<R>);
  e.w.U8(1);  // record format version
  Fields(e, const_cast<R&>(r));
  return e.w.Take();
}

template <typename R>
bool DecodeRec(std::string_view in, R* r) {
  Dec d{Reader(in)};
  uint8_t version = 0;
  if (!d.r.U8(&version) || version != 1) return false;
  Fields(d, *r);
  return d.ok && d.r.Done();
}

std::string Pad(uint64_t v, int width) {
  std::string s(width, '0');
  for (int i = width - 1; i >= 0 && v > 0; --i, v /= 10) s[i] = static_cast<char>('0' + v % 10);
  return s;
}

std::string Join(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size());
  k.append(a).append(b);
  return k;
}
std::string Join(std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
  std::string k;
  k.reserve(a.size() + b.size() + c.size() + d.size());
  k.append(a).append(b).append(c).append(d);
  return k;
}
std::string Join(std::string_view a, std::string_view b, std::string_view c, std::string_view d,
                 std::string_view e, std::string_view f) {
  std::string k = Join(a, b, c, d);
  k.append(e).append(f);
  return k;
}

}  // namespace

const char* RoleName(int i) { return i >= 0 && i < kRoleCount ? kRoleNames[i] : "?"; }
uint32_t ParseRole(std::string_view name) {
  for (int i = 0; i < kRoleCount; ++i)
    if (name == kRoleNames[i]) return 1u << i;
  return 0;
}
std::string RolesToString(uint32_t roles) {
  std::string s;
  for (int i = 0; i < kRoleCount; ++i) {
    if (roles & (1u << i)) {
      if (!s.empty()) s += ",";
      s += kRoleNames[i];
    }
  }
  return s;
}

const char* CategoryName(Category c) {
  switch (c) {
    case Category::kVaccine:
      return "vaccine";
    case Category::kDrug:
      return "drug";
    case Category::kColdChainFood:
      return "cold_chain_food";
    case Category::kFood:
      return "food";
  }
  return "?";
}
bool ParseCategory(std::string_view s, Category* out) {
  for (Category c :
       {Category::kVaccine, Category::kDrug, Category::kColdChainFood, Category::kFood}) {
    if (s == CategoryName(c)) {
      *out = c;
      return true;
    }
  }
  return false;
}

const char* TerminalName(Terminal t) {
  switch (t) {
    case Terminal::kNone:
      return "";
    case Terminal::kSold:
      return "sold";
    case Terminal::kAdministered:
      return "administered";
    case Terminal::kConsumed:
      return "consumed";
    case Terminal::kDestroyed:
      return "destroyed";
    case Terminal::kTransformed:
      return "transformed";
    case Terminal::kReturned:
      return "returned";
  }
  return "?";
}

const char* ItemStatusName(ItemStatus s) {
  switch (s) {
    case ItemStatus::kActive:
      return "active";
    case ItemStatus::kInTransit:
      return "in_transit";
    case ItemStatus::kQuarantined:
      return "quarantined";
    case ItemStatus::kRecalled:
      return "recalled";
    case ItemStatus::kDispensed:
      return "dispensed";
    case ItemStatus::kDestroyed:
      return "destroyed";
    case ItemStatus::kNone:
      return "none";
  }
  return "?";
}

ItemStatus ItemRec::Status() const {
  switch (terminal) {
    case Terminal::kNone:
      break;
    case Terminal::kDestroyed:
      return ItemStatus::kDestroyed;
    case Terminal::kReturned:
      return ItemStatus::kRecalled;
    default:
      return ItemStatus::kDispensed;
  }
  if (!recall_id.empty()) return ItemStatus::kRecalled;
  if (quarantined) return ItemStatus::kQuarantined;
  if (!shipment_id.empty()) return ItemStatus::kInTransit;
  return ItemStatus::kActive;
}

std::string Encode(const EnterpriseRec& r) { return EncodeRec(r); }
std::string Encode(const ProductRec& r) { return EncodeRec(r); }
std::string Encode(const LotRec& r) { return EncodeRec(r); }
std::string Encode(const ItemRec& r) { return EncodeRec(r); }
std::string Encode(const ShipmentRec& r) { return EncodeRec(r); }
std::string Encode(const RecallRec& r) { return EncodeRec(r); }
std::string Encode(const AlertRec& r) { return EncodeRec(r); }
std::string Encode(const DocumentRec& r) { return EncodeRec(r); }
std::string Encode(const TransformRec& r) { return EncodeRec(r); }
std::string Encode(const EventRec& r) { return EncodeRec(r); }
std::string EncodeEvent(std::string_view tx_id, uint64_t height, uint32_t index,
                        std::string_view type, uint32_t link, uint32_t links,
                        const std::vector<std::string>& path) {
  // The field order of Fields(EventRec): the same bytes as Encode(EventRec).
  Writer w(kReserve<EventRec>);
  w.U8(1);
  w.Bytes(tx_id);
  w.U64(height);
  w.U32(index);
  w.Text(type);
  w.U32(link);
  w.U32(links);
  w.U32(static_cast<uint32_t>(path.size()));
  for (const auto& h : path) w.Bytes(h);
  return w.Take();
}
std::string Encode(const ChainLinksRec& r) {
  Writer w(24 + (r.leaf_hashes.size() + r.chunk_roots.size()) * 36);
  w.U8(1);
  w.U64(r.total);
  w.U32(static_cast<uint32_t>(r.leaf_hashes.size()));
  for (const std::string& h : r.leaf_hashes) w.Bytes(h);
  w.U32(static_cast<uint32_t>(r.chunk_roots.size()));
  for (const std::string& root : r.chunk_roots) w.Bytes(root);
  return w.Take();
}
bool Decode(std::string_view in, ChainLinksRec* r) {
  Reader d(in);
  uint8_t version = 0;
  return d.U8(&version) && version == 1 && d.U64(&r->total) && d.Strs(&r->leaf_hashes) &&
         d.Strs(&r->chunk_roots) && d.Done();
}
bool Decode(std::string_view in, EnterpriseRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, ProductRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, LotRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, ItemRec* r) {
  if (!DecodeRec(in, r)) return false;
  r->loaded_status = r->Status();
  r->loaded_terminal = r->terminal;
  return true;
}
bool Decode(std::string_view in, ShipmentRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, RecallRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, AlertRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, DocumentRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, TransformRec* r) { return DecodeRec(in, r); }
bool Decode(std::string_view in, EventRec* r) { return DecodeRec(in, r); }

ValueKind ValueKindOf(std::string_view key) {
  // Prefixes are one or two characters before the first '|'.
  if (key.size() >= 2 && key[1] == '|') {
    switch (key[0]) {
      case 'e':  // EnterpriseRec
      case 'p':  // ProductRec
      case 'l':  // LotRec
      case 'c':  // ItemRec
      case 's':  // ShipmentRec
      case 'd':  // DocumentRec
      case 'r':  // RecallRec
      case 'a':  // AlertRec
        return ValueKind::kRecord;
      case 'n':  // a raw tx id
        return ValueKind::kBytes;
      default:
        return ValueKind::kText;
    }
  }
  if (key.size() >= 3 && key[2] == '|') {
    std::string_view p = key.substr(0, 2);
    if (p == "le" || p == "ce" || p == "tf" || p == "dc" || p == "hl") return ValueKind::kRecord;
  }
  return ValueKind::kText;
}

namespace keys {
std::string Enterprise(std::string_view uscc) { return Join("e|", uscc); }
std::string SignerKey(std::string_view pk) { return Join("k|", ToHex(pk)); }
std::string Regulator(std::string_view pk) { return Join("g|", ToHex(pk)); }
std::string Product(std::string_view code) { return Join("p|", code); }
std::string Lot(std::string_view p, std::string_view lot) { return Join("l|", p, "|", lot); }
std::string LotCode(std::string_view p, std::string_view lot, std::string_view code) {
  return Join("lc|", p, "|", lot, "|", code);
}
std::string LotCodePrefix(std::string_view p, std::string_view lot) {
  return Join("lc|", p, "|", lot) + "|";
}
std::string LotEvent(std::string_view p, std::string_view lot, uint32_t seq) {
  return Join("le|", p, "|", lot, "|", Pad(seq, 10));
}
std::string LotEventPrefix(std::string_view p, std::string_view lot) {
  return Join("le|", p, "|", lot) + "|";
}
std::string Item(std::string_view code) { return Join("c|", code); }
std::string Event(std::string_view code, uint32_t seq) {
  return Join("ce|", code, "|", Pad(seq, 10));
}
std::string EventPrefix(std::string_view code) { return Join("ce|", code, "|", ""); }
std::string Holder(std::string_view u, std::string_view code) { return Join("h|", u, "|", code); }
std::string HolderPrefix(std::string_view u) { return Join("h|", u, "|", ""); }
std::string Child(std::string_view p, std::string_view c) { return Join("ag|", p, "|", c); }
std::string ChildPrefix(std::string_view p) { return Join("ag|", p, "|", ""); }
std::string Shipment(std::string_view id) { return Join("s|", id); }
std::string ShipmentDue(int64_t ms, std::string_view id) {
  return Join("so|", Pad(ms < 0 ? 0 : ms, 13), "|", id);
}
std::string Transform(std::string_view tx_hex) { return Join("tf|", tx_hex); }
std::string LotDoc(std::string_view p, std::string_view lot, std::string_view t) {
  return Join("d|", p, "|", lot, "|", t);
}
std::string LotDocPrefix(std::string_view p, std::string_view lot) {
  return Join("d|", p, "|", lot) + "|";
}
std::string CodeDoc(std::string_view code, std::string_view t) { return Join("dc|", code, "|", t); }
std::string CodeDocPrefix(std::string_view code) { return Join("dc|", code, "|", ""); }
std::string Recall(std::string_view id) { return Join("r|", id); }
std::string Obligation(std::string_view r, std::string_view code) {
  return Join("ro|", r, "|", code);
}
std::string ObligationPrefix(std::string_view r) { return Join("ro|", r, "|", ""); }
std::string RecallHolder(std::string_view r, std::string_view u) { return Join("rh|", r, "|", u); }
std::string RecallHolderPrefix(std::string_view r) { return Join("rh|", r, "|", ""); }
std::string Alert(std::string_view id) { return Join("a|", id); }
std::string OpenAlert(std::string_view id) { return Join("ao|", id); }
std::string CodeAlert(std::string_view code, std::string_view id) {
  return Join("ca|", code, "|", id);
}
std::string CodeAlertPrefix(std::string_view code) { return Join("ca|", code, "|", ""); }
std::string Nonce(std::string_view signer, std::string_view nonce) {
  return Join("n|", ToHex(signer), "|", nonce);
}
std::string Activity(std::string_view u, uint64_t h, uint32_t i) {
  return Join("ea|", u, "|", Pad(h, 12), "|", Pad(i, 6));
}
std::string ActivityPrefix(std::string_view u) { return Join("ea|", u, "|", ""); }
std::string Counter(std::string_view name) { return Join("x|", name); }
std::string ChainLinks(uint64_t h, uint32_t i, uint32_t chunk) {
  return Join("hl|", Pad(h, 12), "|", Pad(i, 6), "|", Pad(chunk, 6));
}
}  // namespace keys

}  // namespace traceledger

// The world state the contracts keep: key layout and record encodings
// (docs/contracts.md, "State layout"). Every key is ASCII: a short prefix, then
// components separated by '|', which no identifier may contain. Numbers inside
// keys are zero-padded decimal so byte order is numeric order.
//
// Records are encoded with contracts/codec.h; Decode* return false on a record
// that does not parse (a corrupt store).
//
// Thread-safety: pure functions and values.
#ifndef TRACELEDGER_CONTRACTS_STATE_H_
#define TRACELEDGER_CONTRACTS_STATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/chain_link.h"

namespace traceledger {

// ---- Roles and enums ----------------------------------------------------------

enum Role : uint32_t {
  kProducer = 1 << 0,
  kManufacturer = 1 << 1,
  kImporter = 1 << 2,
  kLogistics = 1 << 3,
  kWarehouse = 1 << 4,
  kDistributor = 1 << 5,
  kRetailer = 1 << 6,
  kCaterer = 1 << 7,
  kPharmacy = 1 << 8,
  kVaccinationSite = 1 << 9,
  kLab = 1 << 10,
};
inline constexpr int kRoleCount = 11;
const char* RoleName(int bit_index);
// 0 if unknown.
uint32_t ParseRole(std::string_view name);
std::string RolesToString(uint32_t roles);  // "manufacturer,importer"

enum class Category : uint8_t { kVaccine = 0, kDrug = 1, kColdChainFood = 2, kFood = 3 };
const char* CategoryName(Category c);
bool ParseCategory(std::string_view s, Category* out);

// How an item left circulation. kNone: still in circulation.
enum class Terminal : uint8_t {
  kNone = 0,
  kSold,
  kAdministered,
  kConsumed,
  kDestroyed,
  kTransformed,  // consumed as an input of trace.transform
  kReturned,     // returned under a recall
};
const char* TerminalName(Terminal t);

// Item status as the API shows it (DESIGN.md §7).
enum class ItemStatus : uint8_t {
  kActive,
  kInTransit,
  kQuarantined,
  kRecalled,
  kDispensed,
  kDestroyed,
  kNone,  // not an item (used for counters of new items)
};
const char* ItemStatusName(ItemStatus s);

enum class Inspection : uint8_t { kNone = 0, kPass = 1, kFail = 2 };

// ---- Records ----------------------------------------------------------------

struct EnterpriseRec {
  std::string uscc, name, region;
  std::string public_key;  // 33 raw bytes
  uint32_t roles = 0;
  bool suspended = false;
  std::string reason;  // of the last suspension / reinstatement
  uint64_t enrolled_height = 0;
};

struct ProductRec {
  std::string code, name, owner;  // owner: USCC of the registrant
  Category category = Category::kFood;
  bool has_min = false, has_max = false;
  double min_c = 0, max_c = 0;
  uint32_t shelf_life_days = 0;  // 0: not given
  bool requires_inspection = false;
  uint64_t registered_height = 0;
};

struct LotRec {
  std::string product_code, lot, commissioner;
  int64_t expiry_ms = 0;
  bool imported = false;
  std::string origin_country;
  uint32_t count = 0;
  Inspection inspection = Inspection::kNone;
  std::string inspection_report;
  // The lot's hash chain, like an item's: head = H(prev_head || tx_id) from 32
  // zero bytes, extended once by every accepted transaction that acts on the
  // lot as a whole (a lot document, a lot inspection, a recall naming the lot);
  // its events are le|PRODUCT|LOT|SEQ10.
  std::string head;  // 32 bytes, empty before the first lot event
  uint32_t event_count = 0;
};

struct ItemRec {
  std::string code;
  std::string product_code;  // "" for a logistic unit (a case or pallet made by aggregation)
  std::string lot;
  Category category = Category::kFood;
  int64_t expiry_ms = 0;  // midnight UTC of the expiry date; 0: none
  std::string custodian, commissioner;
  std::string shipment_id;  // non-empty while in transit
  std::string parent;       // the aggregate that contains this item
  uint32_t child_count = 0;
  bool quarantined = false;
  bool imported = false;
  std::string recall_id;  // the recall that froze it
  Terminal terminal = Terminal::kNone;
  Inspection inspection = Inspection::kNone;
  std::string transformed_into;  // hex tx id of the transform that consumed it
  std::string made_by;           // hex tx id of the transform that produced it
  std::string head;              // 32 bytes: per-code hash chain head
  uint32_t event_count = 0;
  uint64_t created_height = 0;

  // Not stored: the status when read, so writers can keep counters exact.
  ItemStatus loaded_status = ItemStatus::kNone;
  Terminal loaded_terminal = Terminal::kNone;
  ItemStatus Status() const;
};

struct ShipmentRec {
  std::string id, from, to, carrier, vehicle;
  int64_t expected_ms = 0;         // as given, 0 if not
  int64_t deadline_ms = 0;         // expected_ms or shipped time + the genesis default
  std::vector<std::string> codes;  // the top-level codes shipped
  uint32_t remaining = 0;          // top-level codes not yet received
  bool open = true;
  std::string overdue_alert;
  uint64_t shipped_height = 0;
  int64_t shipped_time_ms = 0;
};

struct RecallRec {
  std::string id, product_code, reason, issuer;
  std::vector<std::string> lots, codes;  // the scope as issued
  uint32_t level = 0;
  bool open = true;
  uint32_t affected = 0, outstanding = 0, reached_consumers = 0;
  uint64_t issued_height = 0, closed_height = 0;
  std::string close_reason;  // "auto: every affected item returned or destroyed" or the regulator's
  std::string alert_id;
};

struct AlertRec {
  std::string id, kind, subject, message;
  std::string tx_id;  // raw 32 bytes; empty for alerts raised at block time
  bool open = true;
  uint32_t pending = 0;  // items still quarantined because of it
  uint64_t height = 0, closed_height = 0;
  int64_t time_ms = 0;
};

struct DocumentRec {
  std::string doc_type, doc_id, sha256, issuer, signer;
  std::string tx_id;  // raw
  uint64_t height = 0;
};

struct TransformRec {
  std::string tx_id;  // raw
  std::vector<std::string> inputs, outputs;
  std::string output_product, output_lot;
};

struct EventRec {
  std::string tx_id;  // raw 32 bytes
  uint64_t height = 0;
  uint32_t index = 0;
  std::string type;
  uint32_t link = 0;  // which of the transaction's chain links is this event's
  // When the transaction extended few chains (links <= kInlineLinkPaths): how
  // many, and the audit path of this event's link under the receipt's
  // heads_root (raw hashes). links == 0: the leaves are under hl| instead.
  uint32_t links = 0;
  std::vector<std::string> path;
};

// Transactions that extend at most this many chains keep each event's audit
// path in its event record (at most four hashes) instead of an hl| record.
inline constexpr uint32_t kInlineLinkPaths = 16;

// One chunk of the chain links of a committed transaction (ledger/chain_link.h),
// as the leaf hashes of its receipt's heads_root: leaves [chunk *
// kLinksPerChunk, ...) of its `total`. Chunk 0 also holds every chunk's root
// when there is more than one chunk. (The links themselves are in the event
// records and chain heads; a trace answer recomputes an event's own leaf.)
struct ChainLinksRec {
  uint64_t total = 0;
  std::vector<std::string> leaf_hashes;  // raw hashes
  std::vector<std::string> chunk_roots;  // raw hashes; chunk 0 only, when total > kLinksPerChunk
};

std::string Encode(const EnterpriseRec& r);
std::string Encode(const ProductRec& r);
std::string Encode(const LotRec& r);
std::string Encode(const ItemRec& r);
std::string Encode(const ShipmentRec& r);
std::string Encode(const RecallRec& r);
std::string Encode(const AlertRec& r);
std::string Encode(const DocumentRec& r);
std::string Encode(const TransformRec& r);
std::string Encode(const EventRec& r);
// Encode(EventRec{tx_id, height, index, type}) without building the record.
std::string EncodeEvent(std::string_view tx_id, uint64_t height, uint32_t index,
                        std::string_view type, uint32_t link, uint32_t links = 0,
                        const std::vector<std::string>& path = {});
std::string Encode(const ChainLinksRec& r);
bool Decode(std::string_view in, EnterpriseRec* r);
bool Decode(std::string_view in, ProductRec* r);
bool Decode(std::string_view in, LotRec* r);
bool Decode(std::string_view in, ItemRec* r);  // sets loaded_status
bool Decode(std::string_view in, ShipmentRec* r);
bool Decode(std::string_view in, RecallRec* r);
bool Decode(std::string_view in, AlertRec* r);
bool Decode(std::string_view in, DocumentRec* r);
bool Decode(std::string_view in, TransformRec* r);
bool Decode(std::string_view in, EventRec* r);
bool Decode(std::string_view in, ChainLinksRec* r);

// What the value under a state key holds, for the engine's text check
// (docs/contracts.md, "Text"): an encoded record (its text fields are checked
// as they are encoded, contracts/codec.h), raw bytes (n|: a raw tx id), or text
// (every other prefix: "", a decimal count, a USCC, a name, a type or kind).
// A new prefix is text unless listed here, so a new kind of record written
// without being listed is refused at once (its binary bytes are not UTF-8).
enum class ValueKind : uint8_t { kRecord, kBytes, kText };
ValueKind ValueKindOf(std::string_view key);

// ---- Keys -------------------------------------------------------------------
// See docs/contracts.md for the full table.
namespace keys {
std::string Enterprise(std::string_view uscc);       // e|USCC -> EnterpriseRec
std::string SignerKey(std::string_view pubkey_raw);  // k|HEXKEY -> USCC
std::string Regulator(std::string_view pubkey_raw);  // g|HEXKEY -> name (regulators added later)
std::string Product(std::string_view code);          // p|CODE -> ProductRec
std::string Lot(std::string_view product, std::string_view lot);  // l|P|LOT -> LotRec
std::string LotCode(std::string_view product, std::string_view lot, std::string_view code);
std::string LotCodePrefix(std::string_view product, std::string_view lot);  // lc|P|LOT|
// le|P|LOT|SEQ10 -> EventRec: the lot's own events (its chain).
std::string LotEvent(std::string_view product, std::string_view lot, uint32_t seq);
std::string LotEventPrefix(std::string_view product, std::string_view lot);
std::string Item(std::string_view code);                 // c|CODE -> ItemRec
std::string Event(std::string_view code, uint32_t seq);  // ce|CODE|SEQ10 -> EventRec
std::string EventPrefix(std::string_view code);
// h|USCC|CODE -> "": items in circulation (not terminal) held by USCC.
std::string Holder(std::string_view uscc, std::string_view code);
std::string HolderPrefix(std::string_view uscc);
std::string Child(std::string_view parent, std::string_view child);  // ag|PARENT|CHILD -> ""
std::string ChildPrefix(std::string_view parent);
std::string Shipment(std::string_view id);                          // s|ID -> ShipmentRec
std::string ShipmentDue(int64_t deadline_ms, std::string_view id);  // so|MS13|ID -> ""
inline constexpr std::string_view kShipmentDuePrefix = "so|";
std::string Transform(std::string_view tx_hex);  // tf|TXHEX -> TransformRec
std::string LotDoc(std::string_view product, std::string_view lot, std::string_view type);
std::string LotDocPrefix(std::string_view product, std::string_view lot);  // d|P|LOT|
std::string CodeDoc(std::string_view code, std::string_view type);         // dc|CODE|TYPE
std::string CodeDocPrefix(std::string_view code);
std::string Recall(std::string_view id);                                 // r|ID -> RecallRec
std::string Obligation(std::string_view recall, std::string_view code);  // ro|R|CODE -> USCC
std::string ObligationPrefix(std::string_view recall);
std::string RecallHolder(std::string_view recall, std::string_view uscc);  // rh|R|USCC -> count
std::string RecallHolderPrefix(std::string_view recall);
std::string Alert(std::string_view id);      // a|ID -> AlertRec
std::string OpenAlert(std::string_view id);  // ao|ID -> ""
inline constexpr std::string_view kOpenAlertPrefix = "ao|";
std::string CodeAlert(std::string_view code, std::string_view id);  // ca|CODE|ID -> "1"/"0"
std::string CodeAlertPrefix(std::string_view code);
std::string Nonce(std::string_view signer_raw, std::string_view nonce);  // n|HEXKEY|NONCE -> tx id
std::string Activity(std::string_view uscc, uint64_t height, uint32_t index);  // ea|USCC|H12|I6
std::string ActivityPrefix(std::string_view uscc);
std::string Counter(std::string_view name);  // x|NAME -> decimal
// hl|H12|I6|C6 -> ChainLinksRec: chunk C of the chain links of the transaction
// at (height H, index I).
std::string ChainLinks(uint64_t height, uint32_t index, uint32_t chunk);
inline constexpr std::string_view kCounterPrefix = "x|";
inline constexpr std::string_view kAlertSeq = "m|alert_seq";
}  // namespace keys

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_STATE_H_

// Strict validation of a transaction body (internal to contracts/).
//
// Each getter validates one member and remembers its name; Finish() rejects any
// member no getter asked for. The first error wins and carries the JSON path of
// the member ("body.codes[3]") in its message. Never throws.
//
// Thread-safety: one Body per transaction, on one thread.
#ifndef TRACELEDGER_CONTRACTS_BODY_H_
#define TRACELEDGER_CONTRACTS_BODY_H_

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace traceledger {

class Body {
 public:
  Body(const nlohmann::json& obj, std::string path = "body");

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Records an error unless one is already recorded.
  void Fail(const char* code, const std::string& field, const std::string& msg);
  // Path of a member, for messages.
  std::string Path(const char* name) const { return path_ + "." + name; }

  bool Has(const char* name);
  std::string Str(const char* name, size_t min_len, size_t max_len, bool required = true);
  std::string Id(const char* name, bool required = true);         // contracts/ids.h IsValidId
  std::string Uscc(const char* name, bool required = true);       // BAD_USCC on a bad check char
  std::string Sha256Hex(const char* name, bool required = true);  // 64 lowercase hex
  std::string PublicKey(const char* name);                        // returns 33 raw bytes
  std::string DocType(const char* name);                          // 1..64 of [a-z0-9_]
  std::string Enum(const char* name, std::initializer_list<const char*> options,
                   bool required = true);
  std::vector<std::string> Codes(const char* name, size_t max, bool required = true);
  std::vector<std::string> Ids(const char* name, size_t max, bool required = true);
  std::vector<std::string> Strings(const char* name, size_t max, size_t max_len);
  std::optional<double> Celsius(const char* name, bool required = false);
  std::optional<int64_t> Int(const char* name, int64_t min, int64_t max, bool required = false);
  std::optional<bool> Bool(const char* name);
  int64_t Date(const char* name, bool required = true);  // "YYYY-MM-DD" -> ms; 0 if absent
  int64_t Time(const char* name, bool required = true);  // RFC 3339 -> ms; 0 if absent
  const nlohmann::json* Object(const char* name, bool required = true);
  const nlohmann::json* Array(const char* name, size_t min, size_t max, bool required = true);
  // Exactly one of a and b must be present.
  bool OneOf(const char* a, const char* b);

  // Rejects unknown members; returns the first error (or OK).
  Status Finish();

 private:
  const nlohmann::json* Member(const char* name, bool required);
  const nlohmann::json& obj_;
  std::string path_;
  std::vector<const char*> known_;
  Status status_;
};

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_BODY_H_

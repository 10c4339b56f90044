// Status and Result: errors are values (LevelDB style). No exception crosses a
// module boundary; every error carries a stable machine-readable code such as
// "SIGNATURE_HIGH_S" and a message a person can act on.
//
// Thread-safety: immutable values; safe to share between threads once built.
#ifndef TRACELEDGER_LEDGER_STATUS_H_
#define TRACELEDGER_LEDGER_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace traceledger {

class Status {
 public:
  // An OK status.
  Status() = default;
  static Status OK() { return Status(); }
  // `code` must be non-empty: UPPER_SNAKE_CASE, stable across releases.
  static Status Error(std::string code, std::string message) {
    assert(!code.empty());
    return Status(std::move(code), std::move(message));
  }
  // Frequently used codes.
  static Status Corruption(std::string message) { return Error("CORRUPTION", std::move(message)); }
  static Status IOError(std::string message) { return Error("IO_ERROR", std::move(message)); }
  static Status NotFound(std::string message) { return Error("NOT_FOUND", std::move(message)); }
  static Status InvalidArgument(std::string message) {
    return Error("INVALID_ARGUMENT", std::move(message));
  }

  bool ok() const { return code_.empty(); }
  bool Is(const char* code) const { return code_ == code; }
  // "" when ok.
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "CODE: message".
  std::string ToString() const { return ok() ? "OK" : code_ + ": " + message_; }

 private:
  Status(std::string code, std::string message)
      : code_(std::move(code)), message_(std::move(message)) {}
  std::string code_;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace traceledger

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define TL_RETURN_IF_ERROR(expr)               \
  do {                                         \
    ::traceledger::Status tl_status_ = (expr); \
    if (!tl_status_.ok()) return tl_status_;   \
  } while (0)

#endif  // TRACELEDGER_LEDGER_STATUS_H_

// A streaming JSON writer for the API's large answers (the trace answer):
// appends compact JSON text to a string with no document tree in between.
//
// Output is what nlohmann::json::dump() prints for the same values: no
// whitespace, strings with `"` `\` and control characters escaped (\b \f \n
// \r \t, others \u00XX), UTF-8 kept as it is, doubles exactly as dump()
// prints them (nlohmann's own conversion, AppendJsonDouble). Invalid
// UTF-8 in a string is written as U+FFFD (a dump() would throw instead), and
// a NaN or infinite double as null (as dump() does).
//
// Invariants, checked with assert: keys only inside objects, a value after
// every key, containers closed in order, at most kMaxDepth levels.
//
// Thread-safety: one writer per answer, on one thread.
#ifndef TRACELEDGER_API_JSON_WRITER_H_
#define TRACELEDGER_API_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace traceledger::api {

class JsonWriter {
 public:
  static constexpr int kMaxDepth = 62;

  explicit JsonWriter(std::string* out) : out_(out) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The next member's name; the value follows with one of the calls below.
  void Key(std::string_view name);

  void String(std::string_view s);
  // `bytes` as a string of lowercase hex digits.
  void Hex(std::string_view bytes);
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Double(double v);
  void Bool(bool v);
  void Null();
  // A string, or null when `s` is empty.
  void StringOrNull(std::string_view s);
  // A complete JSON value that is already compact JSON text (not checked).
  void Raw(std::string_view json);
  // Any integer or floating-point value (bool is written as true/false).
  template <typename T>
  void Number(T v) {
    static_assert(std::is_arithmetic_v<T>);
    if constexpr (std::is_same_v<T, bool>) {
      Bool(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      Double(v);
    } else if constexpr (std::is_signed_v<T>) {
      Int(v);
    } else {
      Uint(v);
    }
  }

  // Members in one call: Key(name) then the value.
  void Field(std::string_view name, std::string_view s) {
    Key(name);
    String(s);
  }
  void Field(std::string_view name, const char* s) { Field(name, std::string_view(s)); }
  void Field(std::string_view name, const std::string& s) { Field(name, std::string_view(s)); }
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  void Field(std::string_view name, T v) {
    Key(name);
    Number(v);
  }
  void HexField(std::string_view name, std::string_view bytes) {
    Key(name);
    Hex(bytes);
  }
  void NullField(std::string_view name) {
    Key(name);
    Null();
  }

  // True when every container opened has been closed.
  bool Complete() const { return depth_ == 0 && wrote_value_; }

 private:
  // Writes the separator a new value or key needs at the current level.
  void BeforeValue();
  void Open(char c, bool object);
  void Close(char c, bool object);

  std::string* out_;
  int depth_ = 0;
  uint64_t is_object_ = 0;    // bit d: level d+1 is an object
  uint64_t has_member_ = 0;   // bit d: level d+1 has a member/element already
  bool after_key_ = false;    // a key was written, its value is due
  bool wrote_value_ = false;  // a top-level value was written
};

// Appends `s` as a JSON string literal (quotes included) to *out.
void AppendJsonString(std::string_view s, std::string* out);
// Appends a finite double exactly as nlohmann's dump() prints it (Grisu2
// digits that read back to the same value; fixed-point while the decimal point
// falls within 15 digits, whole numbers with ".0", else d.ddde+XX).
void AppendJsonDouble(double v, std::string* out);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_JSON_WRITER_H_

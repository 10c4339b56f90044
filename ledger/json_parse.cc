#include "ledger/json_parse.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "ledger/utf8.h"

namespace traceledger {
namespace {

using nlohmann::json;

// nlohmann's message without its "[json.exception.parse_error.101] " tag: the
// words are for a person, who has no use for the library's internals.
std::string_view WithoutExceptionTag(std::string_view what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  return what;
}

// A SAX handler that builds the document like nlohmann's own DOM parser and
// stops at the first container beyond the depth limit or repeated member name.
class StrictBuilder {
 public:
  StrictBuilder(json* root, int max_depth) : root_(root), max_depth_(max_depth) {}

  enum class Failure { kNone, kTooDeep, kDuplicate, kSyntax };
  Failure failure() const { return failure_; }
  const std::string& duplicate() const { return duplicate_; }
  const std::string& syntax_error() const { return syntax_error_; }
  size_t syntax_position() const { return syntax_position_; }

  bool null() { return Value(nullptr); }
  bool boolean(bool v) { return Value(v); }
  bool number_integer(json::number_integer_t v) { return Value(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Value(v); }
  bool number_float(json::number_float_t v, const std::string&) { return Value(v); }
  bool string(json::string_t& v) { return Value(std::move(v)); }
  bool binary(json::binary_t& v) { return Value(json::binary(std::move(v))); }

  bool start_object(std::size_t) { return Open(json::value_t::object); }
  bool key(json::string_t& k) {
    auto& obj = stack_.back()->get_ref<json::object_t&>();
    auto [it, inserted] = obj.emplace(std::move(k), nullptr);
    if (!inserted) {
      failure_ = Failure::kDuplicate;
      duplicate_ = it->first;
      return false;
    }
    member_ = &it->second;
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) { return Open(json::value_t::array); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }

  // The JSON path of the innermost open container ("$", "$.validators[1]"),
  // for messages. Computed on failure only: the builder keeps no path while
  // parsing (each level's position is found from the pointers on the stack).
  std::string OpenPath() const {
    std::string path = "$";
    for (size_t i = 1; i < stack_.size(); ++i) {
      const json* parent = stack_[i - 1];
      // (appends, not operator+: GCC 12 warns falsely on "literal" + string&&)
      if (parent->is_array()) {
        path.append("[").append(std::to_string(parent->size() - 1)).append("]");
        continue;
      }
      for (const auto& [k, v] : parent->get_ref<const json::object_t&>()) {
        if (&v != stack_[i]) continue;
        std::string_view name = Utf8Prefix(k, 64);
        bool plain = !name.empty() && name.size() == k.size();
        for (char c : name) {
          plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '_' || c == '-');
        }
        if (plain) {
          path.append(".").append(name);
        } else {
          std::string shown(name);
          if (name.size() < k.size()) shown.append("...");
          path.append("[").append(DumpJson(json(shown))).append("]");
        }
        break;
      }
    }
    return path;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    failure_ = Failure::kSyntax;
    syntax_position_ = position;
    // nlohmann's message quotes the last token read, which may hold the very
    // bytes that are not UTF-8.
    syntax_error_ = SanitizeUtf8(Utf8Prefix(WithoutExceptionTag(e.what()), 200));
    return false;
  }

 private:
  // Places a value where the document expects the next one; returns it.
  template <typename V>
  json* Place(V&& v) {
    if (stack_.empty()) {
      *root_ = json(std::forward<V>(v));
      return root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      auto& arr = top->get_ref<json::array_t&>();
      arr.emplace_back(std::forward<V>(v));
      return &arr.back();
    }
    *member_ = json(std::forward<V>(v));
    return member_;
  }
  template <typename V>
  bool Value(V&& v) {
    Place(std::forward<V>(v));
    return true;
  }
  bool Open(json::value_t type) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      failure_ = Failure::kTooDeep;
      return false;
    }
    stack_.push_back(Place(json(type)));
    return true;
  }

  json* root_;
  int max_depth_;
  std::vector<json*> stack_;  // the open containers, outermost first
  json* member_ = nullptr;    // the object member whose value comes next
  Failure failure_ = Failure::kNone;
  std::string duplicate_;
  std::string syntax_error_;
  size_t syntax_position_ = 0;
};

std::string Code(std::string_view prefix, const char* what) {
  std::string c(prefix);
  c += '_';
  c += what;
  return c;
}

}  // namespace

Status ParseJson(std::string_view text, const JsonLimits& limits, std::string_view what,
                 std::string_view code_prefix, json* out) {
  std::string w(what);
  if (text.size() > limits.max_bytes) {
    return Status::Error(Code(code_prefix, "TOO_LARGE"), w + " is " + std::to_string(text.size()) +
                                                             " bytes; the limit is " +
                                                             std::to_string(limits.max_bytes));
  }
  // nlohmann's lexer takes a NUL byte outside a string for the end of the
  // input, so "{}\0<anything>" would pass with the rest unread (found by
  // fuzz/json_fuzz.cc). A raw NUL is never part of JSON text.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::Error(
        Code(code_prefix, "MALFORMED_JSON"),
        w + " is not valid JSON (a NUL byte at offset " + std::to_string(nul) + ")");
  }
  json doc;
  StrictBuilder builder(&doc, limits.max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json,
                         /*strict=*/true);
  } catch (const std::exception& e) {  // a number out of range ("1e400") throws
    return Status::Error(Code(code_prefix, "MALFORMED_JSON"),
                         w + " could not be parsed: " +
                             SanitizeUtf8(Utf8Prefix(WithoutExceptionTag(e.what()), 200)));
  }
  switch (builder.failure()) {
    case StrictBuilder::Failure::kNone:
      break;
    case StrictBuilder::Failure::kTooDeep:
      return Status::Error(Code(code_prefix, "TOO_DEEP"),
                           w + " nests deeper than " + std::to_string(limits.max_depth) +
                               (limits.max_depth == 1 ? " level" : " levels") + " (at " +
                               builder.OpenPath() + ")");
    case StrictBuilder::Failure::kDuplicate:
      return Status::Error(Code(code_prefix, "DUPLICATE_KEY"),
                           w + " has the member \"" +
                               SanitizeUtf8(Utf8Prefix(builder.duplicate(), 64)) +
                               "\" more than once (in " + builder.OpenPath() + ")");
    case StrictBuilder::Failure::kSyntax:
      return Status::Error(Code(code_prefix, "MALFORMED_JSON"),
                           w + " is not valid JSON (" + builder.syntax_error() + ")");
  }
  if (!ok) {
    return Status::Error(Code(code_prefix, "MALFORMED_JSON"), w + " is not valid JSON");
  }
  *out = std::move(doc);
  return Status::OK();
}

std::string DumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace traceledger

#include "api/batch.h"

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/json_parse.h"

namespace traceledger::api {
namespace {

constexpr char kShape[] = "a batch is {\"transactions\": [envelope, ...]}";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Status Bad(const std::string& what, size_t at) {
  return Status::Error("BAD_REQUEST",
                       what + " at byte " + std::to_string(at) + " of the body; " + kShape);
}

class Splitter {
 public:
  Splitter(std::string_view body, size_t max, std::vector<std::string_view>* out)
      : s_(body), max_(max), out_(out) {}

  Status Run() {
    out_->clear();
    SkipSpace();
    if (!Eat('{')) return Bad("expected '{'", i_);
    bool seen = false;
    for (;;) {
      SkipSpace();
      size_t name_at = i_;
      std::string name;
      TL_RETURN_IF_ERROR(Name(&name));
      if (name != "transactions") {
        return Bad("a member other than \"transactions\"", name_at);
      }
      if (seen) return Bad("the member \"transactions\" a second time", name_at);
      seen = true;
      SkipSpace();
      if (!Eat(':')) return Bad("expected ':'", i_);
      SkipSpace();
      TL_RETURN_IF_ERROR(Array());
      SkipSpace();
      if (Eat('}')) break;
      if (!Eat(',')) return Bad("expected ',' or '}'", i_);
    }
    SkipSpace();
    if (i_ != s_.size()) return Bad("text after the batch", i_);
    if (count_ > max_) {
      return Status::Error("BATCH_TOO_LARGE", "at most " + std::to_string(max_) +
                                                  " envelopes per request; got " +
                                                  std::to_string(count_));
    }
    return Status::OK();
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  // Moves past the string that starts at i_ (a '"'); false if it never ends.
  bool SkipString() {
    for (++i_; i_ < s_.size(); ++i_) {
      if (s_[i_] == '\\') {
        ++i_;  // the escaped byte; a bad escape is the element parser's to judge
      } else if (s_[i_] == '"') {
        ++i_;
        return true;
      }
    }
    return false;
  }
  // A member name, decoded (so "transaction\u0073" is "transactions").
  Status Name(std::string* name) {
    size_t at = i_;
    if (i_ >= s_.size() || s_[i_] != '"') return Bad("expected a member name", at);
    if (!SkipString()) return Bad("a member name that does not end", at);
    nlohmann::json decoded;
    Status s =
        ParseJson(s_.substr(at, i_ - at), JsonLimits{i_ - at, 1}, "member name", "NAME", &decoded);
    if (!s.ok() || !decoded.is_string()) {
      return Bad("a member name that is not a valid JSON string", at);
    }
    *name = decoded.get<std::string>();
    return Status::OK();
  }
  // The array of envelopes: records each element's bytes.
  Status Array() {
    if (!Eat('[')) return Bad("\"transactions\" must be an array: expected '['", i_);
    SkipSpace();
    if (Eat(']')) return Bad("\"transactions\" is empty: send 1 or more envelopes", i_ - 1);
    for (;;) {
      SkipSpace();
      size_t start = i_;
      TL_RETURN_IF_ERROR(Element());
      size_t end = i_;
      while (end > start && IsSpace(s_[end - 1])) --end;
      if (end == start) return Bad("an empty element in \"transactions\"", start);
      if (++count_ <= max_) out_->push_back(s_.substr(start, end - start));
      if (Eat(']')) return Status::OK();
      if (!Eat(',')) return Bad("expected ',' or ']'", i_);
    }
  }
  // Moves to the ',' or ']' that ends the element starting at i_.
  Status Element() {
    size_t start = i_;
    uint64_t depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        size_t at = i_;
        if (!SkipString()) return Bad("a string that does not end", at);
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) {
          if (c == ']') return Status::OK();
          return Bad("a '}' that closes nothing", i_);
        }
        --depth;
      } else if (c == ',' && depth == 0) {
        return Status::OK();
      }
      ++i_;
    }
    return Bad("the element that starts here does not end (the body is cut short?)", start);
  }

  std::string_view s_;
  size_t max_;
  std::vector<std::string_view>* out_;
  size_t i_ = 0;
  size_t count_ = 0;
};

}  // namespace

Status SplitBatch(std::string_view body, size_t max_envelopes,
                  std::vector<std::string_view>* envelopes) {
  return Splitter(body, max_envelopes, envelopes).Run();
}

}  // namespace traceledger::api

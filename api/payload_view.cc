#include "api/payload_view.h"

#include <nlohmann/json.hpp>

#include "api/json_writer.h"
#include "ledger/envelope.h"
#include "ledger/json_parse.h"

namespace traceledger::api {
namespace {

using nlohmann::json;

// The SAX handler. `stack_` holds the open containers; a value's place is
// known from it: stack_[0] is the payload object, its member "body" is copied
// to the body writer, the body's own members (stack size 2) and the readings'
// members (stack size 4, under body.readings) are picked out.
class PayloadSax {
 public:
  explicit PayloadSax(PayloadView* v) : v_(v), body_((v->body_json.clear(), &v->body_json)) {}

  bool null() {
    return Scalar([&] { body_.Null(); });
  }
  bool boolean(bool b) {
    return Scalar([&] { body_.Bool(b); });
  }
  bool number_integer(json::number_integer_t n) {
    Number(static_cast<double>(n));
    return Scalar([&] { body_.Int(n); });
  }
  bool number_unsigned(json::number_unsigned_t n) {
    Number(static_cast<double>(n));
    return Scalar([&] { body_.Uint(n); });
  }
  bool number_float(json::number_float_t d, const std::string&) {
    Number(d);
    return Scalar([&] { body_.Double(d); });
  }
  bool string(std::string& s) {
    if (stack_.size() == 1 && top_object_) {
      const std::string& k = stack_[0].key;
      if (k == "type") v_->type = s;
      if (k == "time") v_->time = s;
    } else if (BodyMember()) {
      const std::string& k = stack_[1].key;
      if (k == "location") {
        v_->location = s;
        v_->has_location = true;
      } else if (k == "to") {
        v_->to = s;
      } else if (k == "carrier") {
        v_->carrier = s;
      } else if (k == "device") {
        v_->device = s;
      }
    } else if (ReadingMember() && stack_[3].key == "time") {
      reading_.time = s;
    }
    return Scalar([&] { body_.String(s); });
  }
  bool binary(json::binary_t&) { return false; }  // not JSON text

  bool start_object(std::size_t) {
    if (stack_.empty()) top_object_ = true;
    if (InBody()) body_.BeginObject();
    if (ReadingElement()) reading_ = Reading{};
    return Push(true);
  }
  bool end_object() {
    bool reading = stack_.size() == 4 && ReadingElementAt(3);
    stack_.pop_back();
    if (InBody()) body_.EndObject();
    if (reading && reading_.has_celsius) {
      v_->readings.push_back({std::move(reading_.time), reading_.celsius});
    }
    return true;
  }
  bool start_array(std::size_t) {
    if (InBody()) body_.BeginArray();
    if (BodyMember() && stack_[1].key == "readings") v_->has_readings = true;
    return Push(false);
  }
  bool end_array() {
    stack_.pop_back();
    if (InBody()) body_.EndArray();
    return true;
  }
  bool key(std::string& k) {
    stack_.back().key = k;
    if (stack_.size() >= 2 && InBodyContainer()) body_.Key(k);
    if (stack_.size() == 1 && top_object_ && k == "body") {
      if (saw_body_) return false;  // a second body (never accepted): read as {}
      saw_body_ = true;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

  bool ok() const { return top_object_; }
  bool saw_body() const { return saw_body_; }

 private:
  struct Frame {
    bool object;
    std::string key;  // the current member's name (objects)
  };
  struct Reading {
    std::string time;
    double celsius = 0;
    bool has_celsius = false;
  };

  bool Push(bool object) {
    if (stack_.size() >= kMaxPayloadDepth) return false;
    stack_.push_back({object, {}});
    return true;
  }
  // A value at the current place belongs to the body (it is the body or is
  // inside it).
  bool InBody() const { return top_object_ && !stack_.empty() && stack_[0].key == "body"; }
  // The innermost open container is the body or inside it.
  bool InBodyContainer() const { return InBody() && stack_.size() >= 2; }
  // A value that is a direct member of an object body.
  bool BodyMember() const { return InBody() && stack_.size() == 2 && stack_[1].object; }
  // An element of an array body.readings (the array is stack_[2]).
  bool ReadingElement() const {
    return InBody() && stack_.size() == 3 && stack_[1].object && stack_[1].key == "readings" &&
           !stack_[2].object;
  }
  bool ReadingElementAt(size_t at) const {
    return at == 3 && InBody() && stack_[1].object && stack_[1].key == "readings" &&
           !stack_[2].object && stack_[3].object;
  }
  // A direct member of an object element of body.readings.
  bool ReadingMember() const { return stack_.size() == 4 && ReadingElementAt(3); }
  void Number(double d) {
    if (ReadingMember() && stack_[3].key == "celsius") {
      reading_.celsius = d;
      reading_.has_celsius = true;
    }
  }
  template <typename F>
  bool Scalar(F write) {
    if (stack_.empty()) return true;  // a top-level scalar: not an object (ok() is false)
    if (InBody()) write();
    return true;
  }

  PayloadView* v_;
  JsonWriter body_;
  std::vector<Frame> stack_;
  bool top_object_ = false;
  bool saw_body_ = false;
  Reading reading_;
};

}  // namespace

PayloadView ReadPayload(std::string_view payload) {
  PayloadView v;
  PayloadSax sax(&v);
  bool parsed = json::sax_parse(payload.begin(), payload.end(), &sax);
  if (!parsed || !sax.ok()) return PayloadView{};
  if (!sax.saw_body()) v.body_json = "{}";
  v.body_is_object = v.body_json.front() == '{';
  return v;
}

namespace {
// A committed payload's body, parsed as the door parsed it (ledger/json_parse.h).
bool ParseBody(std::string_view body_json, json* body) {
  return ParseJson(body_json, JsonLimits{kMaxPayloadBytes, kMaxJsonDepth}, "body", "BODY", body)
             .ok() &&
         body->is_object();
}
}  // namespace

std::string BodyString(std::string_view body_json, std::string_view name) {
  json body;
  if (!ParseBody(body_json, &body)) return "";
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string BodyFirstOf(std::string_view body_json, std::string_view name) {
  json body;
  if (!ParseBody(body_json, &body)) return "";
  auto it = body.find(name);
  if (it == body.end() || !it->is_array() || it->empty() || !(*it)[0].is_string()) return "";
  return (*it)[0].get<std::string>();
}

}  // namespace traceledger::api

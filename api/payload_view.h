// What the trace answer shows of a signed transaction payload, read in one
// pass over its text (nlohmann's SAX parser: no document tree, docs/api.md
// "Trace"): `type` and `time`, the body re-written compactly, and the body
// members an event shows on its own (location, parties, readings).
//
// The result equals what a parse into nlohmann::ordered_json and dump() of
// its members gives (tests compare the two). A text that is not a JSON
// object reads as {} (as before: payloads were validated when accepted, so
// this only happens to damaged data, which the block store's checksums catch
// first).
//
// Thread-safety: pure function.
#ifndef TRACELEDGER_API_PAYLOAD_VIEW_H_
#define TRACELEDGER_API_PAYLOAD_VIEW_H_

#include <string>
#include <string_view>
#include <vector>

namespace traceledger::api {

struct PayloadView {
  std::string type;              // "" unless a string
  std::string time;              // "" unless a string
  std::string body_json = "{}";  // the body, compact ("{}" when absent)
  bool body_is_object = true;    // an absent body counts as {}

  // Body members (only when the body is an object and they are strings).
  bool has_location = false;
  std::string location, to, carrier, device;

  // body.readings, when it is an array: the elements that are objects with a
  // number "celsius" ("time" is "" unless a string).
  struct Reading {
    std::string time;
    double celsius;
  };
  bool has_readings = false;
  std::vector<Reading> readings;
};

// Reads `payload`. At most kMaxPayloadDepth levels of nesting (deeper: {}).
PayloadView ReadPayload(std::string_view payload);
inline constexpr size_t kMaxPayloadDepth = 32;

// The string member `name` of a body written by ReadPayload (body_json);
// "" when the body is not an object or the member is absent or not a string.
std::string BodyString(std::string_view body_json, std::string_view name);
// The first string of the array member `name` of such a body ("" if none).
std::string BodyFirstOf(std::string_view body_json, std::string_view name);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_PAYLOAD_VIEW_H_

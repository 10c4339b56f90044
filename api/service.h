// The node's HTTP API (DESIGN.md §7; docs/api.md): routes requests to the node
// and answers JSON. Errors are {"error":{"code","message"}} with the status of
// DESIGN.md §7, so a client can tell "rejected, don't retry" (4xx) from "no
// leader, retry" (503/429) from "accepted, pending" (202).
//
// Thread-safety: Handle may run on many threads at once.
#ifndef TRACELEDGER_API_SERVICE_H_
#define TRACELEDGER_API_SERVICE_H_

#include "api/http_server.h"
#include "node/node.h"

namespace traceledger::api {

inline constexpr size_t kMaxBatch = 1000;  // envelopes per POST
inline constexpr int kMaxWaitMs = 30000;   // ?wait=commit bound
inline constexpr int kDefaultWaitMs = 10000;

class ApiService {
 public:
  explicit ApiService(node::Node* node) : node_(node) {}
  void Handle(const HttpRequest& req, Responder respond);

 private:
  void PostTransactions(const HttpRequest& req, Responder respond);
  HttpResponse GetTransaction(const std::string& hex_id);
  HttpResponse GetBlock(const std::string& which);
  HttpResponse GetStatus();

  node::Node* node_;
};

// The HTTP status for an error code (400 when the code is not listed).
int HttpStatusForCode(const std::string& code);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_SERVICE_H_

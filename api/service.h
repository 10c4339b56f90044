// The node's HTTP API (DESIGN.md §7; docs/api.md): routes requests to the node
// and answers JSON. Errors are {"error":{"code","message"}} with the status of
// DESIGN.md §7, so a client can tell "rejected, don't retry" (4xx) from "no
// leader, retry" (503/429) from "accepted, pending" (202).
//
// Thread-safety: Handle may run on many threads at once.
#ifndef TRACELEDGER_API_SERVICE_H_
#define TRACELEDGER_API_SERVICE_H_

#include <atomic>
#include <memory>

#include "api/http_server.h"
#include "api/metrics.h"
#include "node/node.h"

namespace traceledger::api {

inline constexpr size_t kMaxBatch = 1000;  // envelopes per POST
inline constexpr int kMaxWaitMs = 30000;   // ?wait=commit bound
inline constexpr int kDefaultWaitMs = 10000;
inline constexpr int kDefaultReadWaitMs = 5000;  // ?consistent=true bound (timeout_ms overrides)
// Uncached trace answers are built on their own threads (api/work_queue.h),
// at most this many waiting; beyond that a trace request gets 503 BUSY.
inline constexpr int kTraceThreads = 2;
inline constexpr size_t kMaxQueuedTraces = 4096;
// The trace workers and the cockpit's block follower run this much below the
// priority of the thread that creates the service (Linux per-thread nice), so
// that the HTTP I/O threads — the cockpit, status, metrics, cached answers —
// get a core first when uncached answers keep every core busy.
inline constexpr int kBackgroundNice = 10;
// The cockpit's walk back over older blocks after a start runs lowest (nice
// +19): it is a one-off catch-up that may wait for spare CPU.
inline constexpr int kBackfillNice = 19;

class Cockpit;
struct TraceCaches;
class WorkQueue;

class ApiService {
 public:
  explicit ApiService(node::Node* node);
  ~ApiService();
  // Routes the request and records its count and latency (GET /metrics).
  void Handle(const HttpRequest& req, Responder respond);
  // The cockpit behind GET /v1/cockpit (its follower thread is running).
  Cockpit* cockpit() { return cockpit_.get(); }
  // The server in front of this service, whose numbers GET /metrics shows;
  // may be null. Set it once the server started, clear it before it stops.
  void SetHttpServer(const HttpServer* server) { http_server_.store(server); }

 private:
  void Route(const HttpRequest& req, Responder respond);
  // ?consistent=true: a Raft read index first (Node::ReadIndex), then Route.
  void ConsistentRead(const HttpRequest& req, Responder respond);
  void PostTransactions(const HttpRequest& req, Responder respond);
  HttpResponse GetTransaction(const std::string& hex_id);
  HttpResponse GetBlock(const std::string& which);
  HttpResponse GetStatus();
  HttpResponse GetCockpit();
  HttpResponse GetMetrics();

  node::Node* node_;
  std::unique_ptr<Cockpit> cockpit_;
  std::unique_ptr<TraceCaches> trace_caches_;  // rendered trace answers and proof blocks
  HttpMetrics metrics_;
  std::atomic<const HttpServer*> http_server_{nullptr};
  // Builds uncached trace answers. Declared last, so destroyed first: the jobs
  // still queued run while the cache and metrics_ (their responders record
  // into it) are alive.
  std::unique_ptr<WorkQueue> trace_work_;
};

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_SERVICE_H_

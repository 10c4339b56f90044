// A small HTTP/1.1 server (Boost.Beast) for the node's JSON API and pages.
//
// All Beast code lives in http_server.cc so the rest of the build never
// compiles Beast headers. Handlers answer asynchronously through a callback so
// that a request may wait (e.g. for a commit) without holding an I/O thread.
//
// Limits (HttpServerOptions): request header and body bytes, deadlines for a
// request's headers and for all of it, idle time, connections in total and
// per client address, and memory — bytes of request bodies being read and of
// answers being written, node-wide; a request over a limit is answered with a
// JSON error (408 / 413 / 431 / 503) and the connection is closed. Requests
// on one connection are answered in order (a pipelined one is read after the
// answer to the one before it is written). Malformed HTTP gets 400, and
// so does text that is not UTF-8 (INVALID_UTF8: the target, the decoded path,
// query names and values, header names and values), never echoed.
//
// No exception leaves the server: a handler that throws, or whose Responder
// is destroyed without being called, is answered 500 INTERNAL (and logged);
// the server serves on.
//
// Thread-safety: Start/Stop from one thread. The handler is called on the
// server's I/O threads, possibly concurrently; `respond` may be called from any
// thread, exactly once.
#ifndef TRACELEDGER_API_HTTP_SERVER_H_
#define TRACELEDGER_API_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/status.h"

namespace traceledger::api {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ... ("GET" for a HEAD)
  bool head = false;                           // a HEAD request: the body is not sent
  std::string target;                          // as sent, e.g. "/v1/trace/X?lang=en"
  std::string path;                            // percent-decoded path without the query
  std::map<std::string, std::string> query;    // decoded query parameters (last wins)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string remote;  // "ip:port" of the client
  // Runs a task on the server's I/O threads: a handler answered from another
  // thread (e.g. the node's loop) moves real work back here with it. Empty
  // outside a server (tests calling a handler directly): run the task inline.
  std::function<void(std::function<void()>)> post;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error":{"code":..., "message":...}} with `status`.
HttpResponse JsonError(int status, const std::string& code, const std::string& message);
// The HTTP status for an error code (400 when the code is not listed).
int HttpStatusForCode(const std::string& code);
// JsonError for a Status, with the status HttpStatusForCode gives its code and,
// for the retryable 429 and 503, Retry-After: 1.
HttpResponse StatusError(const Status& s);

using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(const HttpRequest&, Responder respond)>;

// Limits on everything a client can make the server hold (docs/operations.md,
// "HTTP limits" and "Memory"). tracenode --http-limit NAME=VALUE sets them.
struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port (see HttpServer::port)
  int threads = 2;
  // Per request: 431 HEADERS_TOO_LARGE, 413 TOO_LARGE beyond. Only a POST
  // takes a large body (POST /v1/transactions: up to 1,000 envelopes).
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;  // a POST's
  size_t max_other_body_bytes = 16 * 1024;  // any other method's (read, unused)
  // Deadlines. idle: for the first byte of a request on a new or kept-alive
  // connection (then the connection is closed), and for an answer to be
  // written; header: from a request's first byte to the end of its headers;
  // request: from its first byte to the end of its body. Past the header or
  // request deadline the answer is 408 REQUEST_TIMEOUT and the connection is
  // closed: a client trickling bytes holds a connection this long at most.
  int idle_timeout_ms = 30000;
  int header_timeout_ms = 10000;
  int request_timeout_ms = 30000;
  // Connections beyond either cap are answered 503 TOO_MANY_CONNECTIONS.
  size_t max_connections = 1024;
  size_t max_connections_per_address = 256;
  // Memory. Bytes of request bodies being read, node-wide and per client
  // address: a request reserves its Content-Length (a chunked one its whole
  // limit) when its headers are in, before any of its body is read, and
  // gives it back once the handler has it; one that does not fit is answered
  // 503 BUSY (Retry-After: 1) and its body is not read. Bytes of answers
  // over 64 KiB being written: past the budget such an answer is replaced by
  // 503 BUSY.
  size_t body_budget_bytes = 64 << 20;
  size_t body_budget_per_address_bytes = 16 << 20;
  size_t answer_budget_bytes = 256 << 20;
  // Where the server reports what the operator should know (a handler that
  // threw, ...); may be empty. Called from the I/O threads.
  std::function<void(const std::string&)> log;
};

// What the server holds and has refused (GET /metrics).
struct HttpServerStats {
  size_t connections = 0;            // open (admitted)
  size_t addresses = 0;              // distinct client addresses among them
  size_t body_bytes = 0;             // reserved by request bodies being read
  size_t answer_bytes = 0;           // of large answers being written
  uint64_t refused_connections = 0;  // 503 TOO_MANY_CONNECTIONS
  uint64_t refused_busy = 0;         // 503 BUSY: over the body or answer budget
  uint64_t timeouts = 0;             // 408 REQUEST_TIMEOUT
  uint64_t internal_errors = 0;      // 500 INTERNAL (and I/O tasks that threw)
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. Error BIND_FAILED with the
  // address and the OS reason.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   Handler handler);
  ~HttpServer();  // Stops.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  // Thread-safe.
  HttpServerStats stats() const;
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-decodes; false on a bad escape.
bool PercentDecode(const std::string& in, std::string* out);

// Fills req->path (percent-decoded) and req->query (decoded, '+' is a space)
// from a request target such as "/v1/trace/X?lang=en". Errors: BAD_TARGET (not
// a path, a bad escape); INVALID_UTF8 when the target, the decoded path or a
// decoded query name or value is not UTF-8 — the message says which and at
// which byte, and never contains the bytes.
Status ParseTarget(const std::string& target, HttpRequest* req);

// BAD_QUERY when `query` has a parameter not in `known` (nor
// "consistent" / "timeout_ms", which the API takes on every read and checks
// itself); the message names it, `route`, and what the route takes.
Status CheckQueryNames(const std::map<std::string, std::string>& query,
                       std::initializer_list<std::string_view> known, std::string_view route);

// INVALID_UTF8 "<where> is not valid UTF-8 at byte N<hint>" when `text` is
// not valid UTF-8 (the bytes themselves are never quoted); OK otherwise.
Status CheckUtf8(std::string_view text, const std::string& where, const char* hint);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_HTTP_SERVER_H_

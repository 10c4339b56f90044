// A small HTTP/1.1 server (Boost.Beast) for the node's JSON API and pages.
//
// All Beast code lives in http_server.cc so the rest of the build never
// compiles Beast headers. Handlers answer asynchronously through a callback so
// that a request may wait (e.g. for a commit) without holding an I/O thread.
//
// Limits: request header bytes, body bytes, idle time per connection, number
// of open connections; a request over a limit is answered with a JSON error
// (413 / 431 / 503) and the connection is closed. Malformed HTTP gets 400, and
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

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port (see HttpServer::port)
  int threads = 2;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;
  int idle_timeout_seconds = 30;
  size_t max_connections = 1024;
  // Where the server reports what the operator should know (a handler that
  // threw, ...); may be empty. Called from the I/O threads.
  std::function<void(const std::string&)> log;
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

// A small blocking HTTP/1.1 client over POSIX sockets for tracectl (submit,
// demo-load): one request per connection ("Connection: close"), plain http only,
// with a connect timeout, an overall deadline and a bound on the response size.
//
// Errors (Status codes): BAD_URL, UNREACHABLE ("cannot connect to URL: ..."),
// HTTP_TIMEOUT, HTTP_BAD_RESPONSE, HTTP_TOO_LARGE.
//
// Thread-safety: pure functions; safe from many threads.
#ifndef TRACELEDGER_TOOLS_HTTP_CLIENT_H_
#define TRACELEDGER_TOOLS_HTTP_CLIENT_H_

#include <cstdint>
#include <string>

#include "ledger/status.h"

namespace traceledger::cli {

inline constexpr size_t kMaxHttpResponseBytes = 32 << 20;
inline constexpr size_t kMaxHttpHeaderBytes = 64 << 10;

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path;  // starts with '/', may hold a query
};

// "http://host[:port][/path]". Anything else is BAD_URL.
Result<HttpUrl> ParseHttpUrl(const std::string& url);

struct HttpCallOptions {
  int connect_timeout_ms = 3000;
  int timeout_ms = 40000;  // the whole exchange
  size_t max_response_bytes = kMaxHttpResponseBytes;
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
};

// Sends one request to `url` and reads the whole response. `body` is sent as
// application/json when non-empty (or when the method is POST).
Result<HttpReply> HttpCall(const std::string& method, const std::string& url,
                           const std::string& body, const HttpCallOptions& options = {});

}  // namespace traceledger::cli

#endif  // TRACELEDGER_TOOLS_HTTP_CLIENT_H_

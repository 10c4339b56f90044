// The only translation unit that includes Boost.Beast.
#include "api/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

namespace traceledger::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpResponse JsonError(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
  return r;
}

int HttpStatusForCode(const std::string& code) {
  if (code == "SIGNATURE_INVALID" || code == "SIGNATURE_HIGH_S" || code == "SIGNATURE_MALFORMED" ||
      code == "SIGNER_INVALID") {
    return 401;
  }
  if (code == "DUPLICATE") return 409;
  if (code == "ENVELOPE_TOO_LARGE" || code == "PAYLOAD_TOO_LARGE" || code == "TOO_LARGE" ||
      code == "BATCH_TOO_LARGE") {
    return 413;
  }
  if (code == "MEMPOOL_FULL" || code == "TOO_MANY_READS") return 429;
  if (code == "NO_LEADER" || code == "STOPPED") return 503;
  if (code == "NOT_FOUND") return 404;
  // The node's own failure, not the client's request.
  if (code == "CORRUPTION" || code == "IO_ERROR") return 500;
  return 400;
}

HttpResponse StatusError(const Status& s) {
  HttpResponse r = JsonError(HttpStatusForCode(s.code()), s.code(), s.message());
  if (r.status == 503 || r.status == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool PercentDecode(const std::string& in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool ParseTarget(const std::string& target, HttpRequest* req) {
  if (target.empty() || target[0] != '/') return false;
  auto q = target.find('?');
  if (!PercentDecode(target.substr(0, q), &req->path)) return false;
  if (q == std::string::npos) return true;
  std::string query = target.substr(q + 1);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string part =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      for (auto& c : part) {
        if (c == '+') c = ' ';
      }
      auto eq = part.find('=');
      std::string k, v;
      if (!PercentDecode(part.substr(0, eq), &k)) return false;
      if (eq != std::string::npos && !PercentDecode(part.substr(eq + 1), &v)) return false;
      req->query[k] = v;
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return true;
}

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  // Shared with sessions, which may outlive the server object briefly.
  std::shared_ptr<std::atomic<size_t>> connections = std::make_shared<std::atomic<size_t>>(0);
  uint16_t port = 0;
  bool stopped = false;

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)),
        options_(server->options),
        handler_(server->handler),
        connections_(server->connections) {
    ++*connections_;
  }
  ~Session() { --*connections_; }

  void Start(bool over_capacity) {
    if (over_capacity) {
      auto self = shared_from_this();
      net::dispatch(stream_.get_executor(), [self] {
        self->Write(JsonError(503, "TOO_MANY_CONNECTIONS",
                              "the node has too many open connections; retry shortly"),
                    false, 11);
      });
      return;
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      Write(JsonError(413, "TOO_LARGE",
                      "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes"),
            false, 11);
      return;
    }
    if (ec == http::error::header_limit) {
      Write(JsonError(
                431, "HEADERS_TOO_LARGE",
                "request headers exceed " + std::to_string(options_.max_header_bytes) + " bytes"),
            false, 11);
      return;
    }
    if (ec) {
      Write(JsonError(400, "BAD_HTTP", "malformed HTTP request: " + ec.message()), false, 11);
      return;
    }
    auto& msg = parser_->get();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == http::verb::head;
    HttpRequest req;
    req.method = head_ ? "GET" : std::string(msg.method_string());
    req.head = head_;
    req.target = std::string(msg.target());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    if (remote_.empty()) {  // once per connection, not per request
      beast::error_code rec;
      auto ep = stream_.socket().remote_endpoint(rec);
      if (!rec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    req.remote = remote_;
    if (!ParseTarget(req.target, &req)) {
      Write(JsonError(400, "BAD_TARGET", "the request target is not a valid path"), keep_alive_,
            version_);
      return;
    }
    // No idle timeout while the handler works; the write re-arms it.
    stream_.expires_never();
    auto self = shared_from_this();
    req.post = [self](std::function<void()> task) {
      net::post(self->stream_.get_executor(), std::move(task));
    };
    auto once = std::make_shared<std::atomic<bool>>(false);
    handler_(req, [self, once](HttpResponse r) {
      if (once->exchange(true)) return;  // respond exactly once
      net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
        self->Write(std::move(r), self->keep_alive_, self->version_);
      });
    });
  }

  void Write(HttpResponse r, bool keep_alive, unsigned version) {
    if (head_) return WriteHead(std::move(r), keep_alive, version);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    SetHeaders(r, keep_alive, res.get());
    res->body() = std::move(r.body);
    res->prepare_payload();
    Send(std::move(res));
  }

  // The answer to a HEAD: the GET answer's status and headers, its body's
  // length as Content-Length, and no body.
  void WriteHead(HttpResponse r, bool keep_alive, unsigned version) {
    head_ = false;
    auto res = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(r.status), version);
    SetHeaders(r, keep_alive, res.get());
    res->content_length(r.body.size());
    Send(std::move(res));
  }

  template <class Body>
  static void SetHeaders(const HttpResponse& r, bool keep_alive, http::response<Body>* res) {
    res->set(http::field::server, "traceledger");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
  }

  // Writes the response, then reads the next request (or closes).
  template <class Body>
  void Send(std::shared_ptr<http::response<Body>> res) {
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec || !res->keep_alive()) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  Handler handler_;
  std::shared_ptr<std::atomic<size_t>> connections_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::string remote_;  // "address:port" of the client, looked up on the first request
  bool head_ = false;   // the request being answered is a HEAD
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    } else {
      bool over = connections->load() >= options.max_connections;
      std::make_shared<Session>(std::move(socket), this)->Start(over);
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  beast::error_code ec;
  auto address = net::ip::make_address(options.host, ec);
  if (ec) return Status::Error("BIND_FAILED", "not an IP address: " + options.host);
  tcp::endpoint ep(address, options.port);
  std::string where = options.host + ":" + std::to_string(options.port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Error("BIND_FAILED", "cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] { ioc->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace traceledger::api

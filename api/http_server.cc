// The only translation unit that includes Boost.Beast.
#include "api/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <thread>

#include "api/json_writer.h"
#include "ledger/utf8.h"

namespace traceledger::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpResponse JsonError(int status, const std::string& code, const std::string& message) {
  HttpResponse r;
  r.status = status;
  // JsonWriter never throws: a message holding bytes that are not UTF-8 (which
  // no caller should build) is written with U+FFFD in their place.
  JsonWriter w(&r.body);
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Field("code", code);
  w.Field("message", message);
  w.EndObject();
  w.EndObject();
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

Status CheckUtf8(std::string_view text, const std::string& where, const char* hint) {
  size_t bad = FirstInvalidUtf8(text);
  if (bad == std::string_view::npos) return Status::OK();
  // The offset, never the bytes.
  return Status::Error("INVALID_UTF8",
                       where + " is not valid UTF-8 at byte " + std::to_string(bad) + hint);
}

namespace {
constexpr char kInUrl[] = "; percent-encode text in a URL as UTF-8";
constexpr char kDecoded[] = " (after percent-decoding); percent-encode text in a URL as UTF-8";
}  // namespace

Status CheckQueryNames(const std::map<std::string, std::string>& query,
                       std::initializer_list<std::string_view> known, std::string_view route) {
  for (const auto& [name, value] : query) {
    if (name == "consistent" || name == "timeout_ms") continue;
    bool ok = false;
    for (std::string_view k : known) ok = ok || name == k;
    if (ok) continue;
    std::string takes;
    for (std::string_view k : known) takes += (takes.empty() ? "" : ", ") + std::string(k);
    return Status::Error("BAD_QUERY", "unknown parameter \"" + std::string(Utf8Prefix(name, 64)) +
                                          "\" on " + std::string(route) + "; " +
                                          (takes.empty() ? "it takes none" : "it takes " + takes) +
                                          " (and consistent, timeout_ms; docs/api.md)");
  }
  return Status::OK();
}

Status ParseTarget(const std::string& target, HttpRequest* req) {
  auto bad_target = [](const std::string& why) {
    return Status::Error("BAD_TARGET", "the request target is not a valid path: " + why);
  };
  if (target.empty() || target[0] != '/') return bad_target("it must start with '/'");
  TL_RETURN_IF_ERROR(CheckUtf8(target, "the request target", kInUrl));
  auto q = target.find('?');
  if (!PercentDecode(target.substr(0, q), &req->path)) {
    return bad_target("a '%' in the path is not followed by two hex digits");
  }
  TL_RETURN_IF_ERROR(CheckUtf8(req->path, "the request path", kDecoded));
  if (q == std::string::npos) return Status::OK();
  std::string query = target.substr(q + 1);
  size_t start = 0;
  for (int n = 1; start <= query.size(); ++n) {
    size_t amp = query.find('&', start);
    std::string part =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      for (auto& c : part) {
        if (c == '+') c = ' ';
      }
      auto eq = part.find('=');
      std::string k, v;
      std::string which = "query parameter " + std::to_string(n);
      if (!PercentDecode(part.substr(0, eq), &k) ||
          (eq != std::string::npos && !PercentDecode(part.substr(eq + 1), &v))) {
        return bad_target("a '%' in " + which + " is not followed by two hex digits");
      }
      TL_RETURN_IF_ERROR(CheckUtf8(k, "the name of " + which, kDecoded));
      TL_RETURN_IF_ERROR(CheckUtf8(
          v, "the value of " + which + " (\"" + std::string(Utf8Prefix(k, 64)) + "\")", kDecoded));
      req->query[k] = v;
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return Status::OK();
}

// Whether answers may still be posted to the I/O threads: closed by Stop, so
// an answer given later (a commit wait cancelled at shutdown) is dropped
// instead of being posted to an io_context that may be gone.
struct PostGate {
  std::mutex mu;
  bool open = true;  // guarded by mu
};

struct HttpServer::Impl {
  HttpServerOptions options;
  std::shared_ptr<PostGate> gate = std::make_shared<PostGate>();
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
        log_(server->options.log),
        gate_(server->gate),
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
    // Header text must be UTF-8 like the rest (a handler may echo a value).
    Status text;
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (text.ok()) text = CheckUtf8(name, "a header name", "");
      if (text.ok()) {
        text = CheckUtf8(std::string_view(f.value().data(), f.value().size()),
                         "the value of the header \"" + name + "\"",
                         "; header values must be UTF-8 text");
      }
      req.headers[name] = std::string(f.value());
    }
    req.body = std::move(msg.body());
    if (remote_.empty()) {  // once per connection, not per request
      beast::error_code rec;
      auto ep = stream_.socket().remote_endpoint(rec);
      if (!rec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    req.remote = remote_;
    // For log lines: the method and the start of the target, as text.
    what_ = std::string(msg.method_string()) + " " + SanitizeUtf8(Utf8Prefix(req.target, 200));
    if (text.ok()) text = ParseTarget(req.target, &req);
    if (!text.ok()) {
      Write(JsonError(400, text.code(), text.message()), keep_alive_, version_);
      return;
    }
    // No idle timeout while the handler works; the write re-arms it.
    stream_.expires_never();
    auto self = shared_from_this();
    req.post = [self](std::function<void()> task) {
      std::lock_guard<std::mutex> l(self->gate_->mu);
      if (self->gate_->open) net::post(self->stream_.get_executor(), std::move(task));
    };
    auto reply = std::make_shared<Reply>(self);
    Responder respond = [reply](HttpResponse r) { reply->Answer(std::move(r)); };
    // No exception leaves a handler: one becomes a 500 and a log line, and
    // the connection goes on (a handler that stores `respond` and throws later
    // on another thread is answered by ~Reply).
    try {
      handler_(req, respond);
    } catch (const std::exception& e) {
      Internal(*reply, e.what());
    } catch (...) {
      Internal(*reply, "an exception that is not a std::exception");
    }
  }

  // Shared by every copy of one request's Responder: answers once, and if the
  // last copy goes away unanswered (a handler dropped it, or a task holding
  // it ended in an exception), answers 500 so the client is not left waiting.
  struct Reply {
    explicit Reply(std::shared_ptr<Session> s) : session(std::move(s)) {}
    ~Reply() {
      if (answered.load()) return;
      session->Log("INTERNAL: a request handler ended without answering " + session->what_);
      Answer(InternalError());
    }
    void Answer(HttpResponse r) {
      if (answered.exchange(true)) return;  // respond exactly once
      std::lock_guard<std::mutex> l(session->gate_->mu);
      if (!session->gate_->open) return;  // the server stopped
      net::post(session->stream_.get_executor(), [s = session, r = std::move(r)]() mutable {
        s->Write(std::move(r), s->keep_alive_, s->version_);
      });
    }
    std::shared_ptr<Session> session;
    std::atomic<bool> answered{false};
  };

  static HttpResponse InternalError() {
    return JsonError(500, "INTERNAL",
                     "the node failed while answering (logged); retry, and tell the node's "
                     "operator if it persists");
  }

  void Internal(Reply& reply, const char* what) {
    Log("INTERNAL: a request handler threw while answering " + what_ + ": " +
        SanitizeUtf8(Utf8Prefix(what, 300)));
    reply.Answer(InternalError());
  }

  void Log(const std::string& line) const {
    if (log_) log_(line);
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
  std::function<void(const std::string&)> log_;
  std::shared_ptr<PostGate> gate_;
  std::shared_ptr<std::atomic<size_t>> connections_;
  std::string what_;  // "METHOD target" of the request being answered, for logs
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
    impl->threads.emplace_back([impl = impl.get()] {
      // A task posted to the I/O threads (req.post) that throws ends up here:
      // log it and go on serving (its request, if unanswered, is answered
      // 500 when the task's Responder is destroyed).
      for (;;) {
        try {
          impl->ioc.run();
          return;
        } catch (const std::exception& e) {
          if (impl->options.log) {
            impl->options.log("INTERNAL: an HTTP I/O task threw: " +
                              SanitizeUtf8(Utf8Prefix(e.what(), 300)));
          }
        } catch (...) {
          if (impl->options.log) impl->options.log("INTERNAL: an HTTP I/O task threw");
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard<std::mutex> l(impl_->gate->mu);
    impl_->gate->open = false;
  }
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace traceledger::api

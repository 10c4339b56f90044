// The only translation unit that includes Boost.Beast.
#include "api/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

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

namespace {
class Session;
}  // namespace

// What the server and its sessions share; sessions may outlive the server
// object briefly (a Responder held elsewhere keeps its session alive).
struct Shared {
  Shared(HttpServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}
  const HttpServerOptions options;
  const Handler handler;

  // Whether answers may still be posted to the I/O threads: closed by Stop,
  // so an answer given later (a commit wait cancelled at shutdown) is dropped
  // instead of being posted to an io_context that may be gone.
  std::mutex post_mu;
  bool open = true;  // guarded by post_mu

  // Admission and memory (docs/operations.md, "Memory"), guarded by mu.
  struct AddressUse {
    size_t connections = 0;
    size_t body_bytes = 0;
  };
  std::mutex mu;
  size_t connections = 0;
  size_t body_bytes = 0;  // reserved by requests whose bodies are being read
  std::unordered_map<std::string, AddressUse> by_address;

  std::atomic<size_t> answer_bytes{0};  // answers being written
  std::atomic<uint64_t> refused_connections{0}, refused_busy{0}, timeouts{0}, internal{0};

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  // Every live session, so that Stop can let go of their sockets and timers
  // while the io_context they belong to still exists: a session kept alive
  // past the server by a Responder held elsewhere (the trace work queue, a
  // commit wait) must not touch it in its destructor. Guarded by sessions_mu.
  std::mutex sessions_mu;
  std::unordered_set<Session*> sessions;
};

struct HttpServer::Impl {
  std::shared_ptr<Shared> shared;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer retry{ioc};  // accept again after an error (e.g. no descriptors left)
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool stopped = false;

  void Accept();
  void Admit(tcp::socket socket);
};

namespace {

using Clock = std::chrono::steady_clock;

HttpResponse Busy(const std::string& message) {
  HttpResponse r = JsonError(503, "BUSY", message);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

std::string Bytes(size_t n) { return std::to_string(n) + " bytes"; }

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `address` is the client's IP address, already counted in shared->by_address
  // unless `refusal` is set (then the session only writes it and closes).
  Session(tcp::socket socket, std::shared_ptr<Shared> shared, std::string address, bool counted)
      : io_(std::in_place, std::move(socket)),
        stream_(io_->stream),
        deadline_(io_->deadline),
        buffer_(shared->options.max_header_bytes + kReadChunk),
        shared_(std::move(shared)),
        options_(shared_->options),
        address_(std::move(address)),
        counted_(counted) {
    std::lock_guard<std::mutex> l(shared_->sessions_mu);
    shared_->sessions.insert(this);
  }

  ~Session() {
    {
      std::lock_guard<std::mutex> l(shared_->sessions_mu);
      shared_->sessions.erase(this);
      io_.reset();
    }
    ReleaseBody();
    ReleaseAnswer();
    if (!counted_) return;
    std::lock_guard<std::mutex> l(shared_->mu);
    --shared_->connections;
    auto it = shared_->by_address.find(address_);
    if (it != shared_->by_address.end() && --it->second.connections == 0) {
      shared_->by_address.erase(it);
    }
  }

  void Start(std::optional<HttpResponse> refusal) {
    auto self = shared_from_this();
    if (refusal) {
      net::dispatch(stream_.get_executor(),
                    [self, r = std::move(*refusal)]() mutable { self->Refuse(std::move(r)); });
      return;
    }
    net::dispatch(stream_.get_executor(), [self] { self->ReadRequest(); });
  }

 private:
  static constexpr size_t kReadChunk = 16 * 1024;

  // Waits (at most the idle timeout) for the first byte of the next request,
  // unless it is already here (pipelined behind the last one).
  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    // Beast checks a Content-Length against the body limit as soon as it
    // reads it: the largest one until the method is known (OnHeader).
    body_limit_ = std::max(options_.max_body_bytes, options_.max_other_body_bytes);
    parser_->body_limit(body_limit_);
    head_ = false;
    version_ = 11;
    keep_alive_ = false;
    if (buffer_.size() > 0) return ReadHeader();
    stream_.expires_after(std::chrono::milliseconds(options_.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](
                                                             beast::error_code ec, std::size_t n) {
      if (ec) return self->Close();  // closed, reset, or idle too long: nothing to answer
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  // From a request's first byte: its headers within header_timeout_ms, all
  // of it within request_timeout_ms (a client trickling bytes is cut off).
  void ReadHeader() {
    start_ = Clock::now();
    Deadline(start_ + std::chrono::milliseconds(options_.header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->OnHeader(ec, n);
                            });
  }

  // Cuts the read in progress off at `at` (tcp_stream's own timeout would
  // close the socket, leaving no way to answer 408).
  void Deadline(Clock::time_point at) {
    stream_.expires_never();
    timed_out_ = false;
    deadline_.expires_at(at);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the read finished first
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  // Errors while reading a request; true if there was one (it is answered or
  // the connection closed).
  bool ReadFailed(beast::error_code ec, const char* part, int timeout_ms) {
    deadline_.cancel();
    if (!ec) return false;
    if (timed_out_ && ec == net::error::operation_aborted) {
      ++shared_->timeouts;
      Refuse(JsonError(408, "REQUEST_TIMEOUT",
                       std::string("the request's ") + part + " did not arrive within " +
                           std::to_string(timeout_ms) + " ms of its first byte"));
    } else if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
               ec == net::error::connection_reset || ec == net::error::eof ||
               ec == http::error::partial_message) {
      Close();  // the client went away: nobody to answer
    } else if (ec == http::error::body_limit) {
      Refuse(JsonError(413, "TOO_LARGE", "the request body exceeds " + Bytes(body_limit_)));
    } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      Refuse(JsonError(431, "HEADERS_TOO_LARGE",
                       "the request headers exceed " + Bytes(options_.max_header_bytes)));
    } else {
      Refuse(JsonError(400, "BAD_HTTP", "malformed HTTP request: " + ec.message()));
    }
    return true;
  }

  // `size`: the bytes of the request line and headers.
  void OnHeader(beast::error_code ec, size_t size) {
    if (ReadFailed(ec, "headers", options_.header_timeout_ms)) return;
    // Beast's own limit misses many small fields arriving together.
    if (size > options_.max_header_bytes) {
      return Refuse(JsonError(431, "HEADERS_TOO_LARGE",
                              "the request headers exceed " + Bytes(options_.max_header_bytes)));
    }
    auto& msg = parser_->get();
    // A body whose length cannot be known (RFC 9112 §6.3: a transfer coding
    // other than a final chunked): refused, as the rest of the connection
    // cannot be framed.
    if (msg.find(http::field::transfer_encoding) != msg.end() && !parser_->chunked()) {
      return Refuse(JsonError(400, "BAD_HTTP",
                              "malformed HTTP request: a Transfer-Encoding other than chunked"));
    }
    // Only a POST carries a real body (POST /v1/transactions); any other
    // request may carry a small one, read and ignored.
    body_limit_ =
        msg.method() == http::verb::post ? options_.max_body_bytes : options_.max_other_body_bytes;
    auto length = parser_->content_length();
    if (length && *length > body_limit_) {
      return Refuse(JsonError(
          413, "TOO_LARGE",
          "the request body (Content-Length " + std::to_string(*length) + ") exceeds " +
              Bytes(body_limit_) +
              (msg.method() == http::verb::post ? "" : " (only a POST takes a larger body)")));
    }
    // Reserve the memory the body will take before reading it: the declared
    // length, or the whole limit for a chunked body.
    size_t need = length ? static_cast<size_t>(*length) : parser_->chunked() ? body_limit_ : 0;
    if (need > 0) {
      if (std::string why = ReserveBody(need); !why.empty()) {
        ++shared_->refused_busy;
        return Refuse(Busy(why));
      }
    }
    parser_->body_limit(body_limit_);
    if (parser_->is_done()) return OnRequest();
    Deadline(start_ + std::chrono::milliseconds(options_.request_timeout_ms));
    // A client that asked to be told its body is welcome (curl does for
    // large bodies) is told so now, once the limits and the budget took it,
    // instead of waiting a second for an answer that never comes.
    if (auto expect = msg.find(http::field::expect);
        expect != msg.end() && msg.version() >= 11 &&
        beast::iequals(expect->value(), "100-continue")) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->OnBody(ec);
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ReadFailed(ec, "body", options_.request_timeout_ms)) return;
    OnRequest();
  }

  // "" and the bytes reserved, or why not (the node or this address holds its
  // budget of request bodies being read).
  std::string ReserveBody(size_t need) {
    std::lock_guard<std::mutex> l(shared_->mu);
    if (shared_->body_bytes + need > options_.body_budget_bytes) {
      return "the node is reading as many request bodies as it holds at once (" +
             Bytes(options_.body_budget_bytes) + "); retry shortly";
    }
    auto& use = shared_->by_address[address_];
    if (use.body_bytes + need > options_.body_budget_per_address_bytes) {
      return "your address has as many request bodies in flight as one address may (" +
             Bytes(options_.body_budget_per_address_bytes) + "); retry shortly";
    }
    use.body_bytes += need;
    shared_->body_bytes += need;
    body_reserved_ = need;
    return "";
  }

  void ReleaseBody() {
    if (body_reserved_ == 0) return;
    std::lock_guard<std::mutex> l(shared_->mu);
    shared_->body_bytes -= body_reserved_;
    auto it = shared_->by_address.find(address_);
    if (it != shared_->by_address.end()) it->second.body_bytes -= body_reserved_;
    body_reserved_ = 0;
  }

  void ReleaseAnswer() {
    shared_->answer_bytes -= answer_reserved_;
    answer_reserved_ = 0;
  }

  void OnRequest() {
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
      ReleaseBody();
      Write(JsonError(400, text.code(), text.message()), keep_alive_, version_);
      return;
    }
    // No deadline while the handler works (a commit wait may take 30 s); the
    // write sets one.
    stream_.expires_never();
    auto self = shared_from_this();
    req.post = [self](std::function<void()> task) {
      std::lock_guard<std::mutex> l(self->shared_->post_mu);
      if (self->shared_->open) net::post(self->stream_.get_executor(), std::move(task));
    };
    auto reply = std::make_shared<Reply>(self);
    Responder respond = [reply](HttpResponse r) { reply->Answer(std::move(r)); };
    // No exception leaves a handler: one becomes a 500 and a log line, and
    // the connection goes on (a handler that stores `respond` and throws later
    // on another thread is answered by ~Reply).
    try {
      shared_->handler(req, respond);
    } catch (const std::exception& e) {
      Internal(*reply, e.what());
    } catch (...) {
      Internal(*reply, "an exception that is not a std::exception");
    }
    // The handler has what it needs of the body (POST /v1/transactions keeps
    // the envelopes it accepted, which the mempool bounds): `req` goes now.
    ReleaseBody();
  }

  // Shared by every copy of one request's Responder: answers once, and if the
  // last copy goes away unanswered (a handler dropped it, or a task holding
  // it ended in an exception), answers 500 so the client is not left waiting.
  struct Reply {
    explicit Reply(std::shared_ptr<Session> s) : session(std::move(s)) {}
    ~Reply() {
      if (answered.load()) return;
      ++session->shared_->internal;
      session->shared_->Log("INTERNAL: a request handler ended without answering " +
                            session->what_);
      Answer(InternalError());
    }
    void Answer(HttpResponse r) {
      if (answered.exchange(true)) return;  // respond exactly once
      std::lock_guard<std::mutex> l(session->shared_->post_mu);
      if (!session->shared_->open) return;  // the server stopped
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
    ++shared_->internal;
    shared_->Log("INTERNAL: a request handler threw while answering " + what_ + ": " +
                 SanitizeUtf8(Utf8Prefix(what, 300)));
    reply.Answer(InternalError());
  }

  // An answer that ends the connection (a limit, a deadline, malformed HTTP):
  // what is left of the request is not read, only drained for a moment so
  // the answer is not lost to a reset (Linger).
  void Refuse(HttpResponse r) {
    ReleaseBody();
    head_ = false;
    // Not for a connection refused at admission: it is not counted against
    // the caps, so it must go at once.
    linger_ = counted_;
    Write(std::move(r), false, 11);
  }

  // After refusing a request whose bytes may still be coming: stop sending,
  // read and drop what comes — at most kLingerBytes for at most kLingerMs,
  // into the bounded buffer, nothing kept — then close. Closing with unread
  // bytes would make the kernel reset the connection, and the client could
  // lose the answer (RFC 9112 §9.6).
  static constexpr int kLingerMs = 1000;
  static constexpr size_t kLingerBytes = 256 * 1024;
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::milliseconds(kLingerMs));
    Drain(kLingerBytes);
  }
  void Drain(size_t left) {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this(), left](beast::error_code ec, std::size_t n) {
                              // The client closed, time is up, or it sent enough.
                              if (ec || n >= left) return self->Close();
                              self->Drain(left - n);
                            });
  }

  void Write(HttpResponse r, bool keep_alive, unsigned version) {
    // Answers being written are held until the client reads them: past the
    // budget, a large one is replaced by a short 503.
    size_t size = r.body.size();
    if (size > kSmallAnswer &&
        shared_->answer_bytes.fetch_add(size) + size > options_.answer_budget_bytes) {
      shared_->answer_bytes -= size;
      ++shared_->refused_busy;
      r = Busy("the node is writing as many answers as it holds at once (" +
               Bytes(options_.answer_budget_bytes) + "); retry shortly");
    } else if (size > kSmallAnswer) {
      answer_reserved_ = size;
    }
    if (head_) return WriteHead(std::move(r), keep_alive, version);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    SetHeaders(r, keep_alive, res.get());
    res->body() = std::move(r.body);
    res->prepare_payload();
    Send(std::move(res));
  }
  static constexpr size_t kSmallAnswer = 64 * 1024;  // always written (errors, most answers)

  // The answer to a HEAD: the GET answer's status and headers, its body's
  // length as Content-Length, and no body.
  void WriteHead(HttpResponse r, bool keep_alive, unsigned version) {
    head_ = false;
    auto res = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(r.status), version);
    SetHeaders(r, keep_alive, res.get());
    res->content_length(r.body.size());
    ReleaseAnswer();  // nothing of the body is kept
    Send(std::move(res));
  }

  template <class Body>
  static void SetHeaders(const HttpResponse& r, bool keep_alive, http::response<Body>* res) {
    res->set(http::field::server, "traceledger");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
  }

  // Writes the response (within the idle timeout: a client that does not
  // read is cut off), then reads the next request or closes.
  template <class Body>
  void Send(std::shared_ptr<http::response<Body>> res) {
    // A connection refused at admission gets 1 s to take its 503.
    stream_.expires_after(std::chrono::milliseconds(counted_ ? options_.idle_timeout_ms : 1000));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->ReleaseAnswer();
                        if (ec) return self->Close();
                        if (!res->keep_alive())
                          return self->linger_ ? self->Linger() : self->Close();
                        self->ReadRequest();
                      });
  }

  // Called by HttpServer::Stop under Shared::sessions_mu, with no I/O thread
  // running: the session's socket and timer go while their io_context exists.
  friend void ReleaseIo(Session* s) { s->io_.reset(); }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  // The socket and the deadline timer belong to the server's io_context;
  // ReleaseIo drops them when the server stops (see Shared::sessions).
  struct Io {
    explicit Io(tcp::socket s) : stream(std::move(s)), deadline(stream.get_executor()) {}
    beast::tcp_stream stream;
    net::steady_timer deadline;  // of the request being read
  };
  std::optional<Io> io_;
  beast::tcp_stream& stream_;    // io_->stream
  net::steady_timer& deadline_;  // io_->deadline
  bool timed_out_ = false;       // deadline_ fired
  beast::flat_buffer buffer_;    // bounded: headers and one read beyond them
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  const HttpServerOptions& options_;  // shared_'s
  const std::string address_;         // the client's IP address
  const bool counted_;                // in shared_->connections and by_address
  Clock::time_point start_;           // the current request's first byte
  size_t body_limit_ = 0;             // of the current request
  size_t body_reserved_ = 0;          // of the body budget, by the current request
  size_t answer_reserved_ = 0;        // of the answer budget, by the answer being written
  std::string what_;                  // "METHOD target" of the request being answered, for logs
  unsigned version_ = 11;
  bool keep_alive_ = false;
  std::string remote_;   // "address:port" of the client, looked up on the first request
  bool head_ = false;    // the request being answered is a HEAD
  bool linger_ = false;  // refused: drain before closing
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      Admit(std::move(socket));
      return Accept();
    }
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    // E.g. no file descriptors left: try again shortly instead of spinning.
    shared->Log("cannot accept an HTTP connection: " + ec.message() + "; retrying in 100 ms");
    retry.expires_after(std::chrono::milliseconds(100));
    retry.async_wait([this](beast::error_code wec) {
      if (!wec) Accept();
    });
  });
}

// Connection caps, total and per client address: a connection beyond either
// is answered 503 TOO_MANY_CONNECTIONS and closed.
void HttpServer::Impl::Admit(tcp::socket socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  std::string address = ec ? "" : ep.address().to_string();
  const HttpServerOptions& o = shared->options;
  std::optional<HttpResponse> refusal;
  {
    std::lock_guard<std::mutex> l(shared->mu);
    auto it = shared->by_address.find(address);
    size_t from_address = it == shared->by_address.end() ? 0 : it->second.connections;
    if (shared->connections >= o.max_connections) {
      refusal = JsonError(503, "TOO_MANY_CONNECTIONS",
                          "the node has " + std::to_string(o.max_connections) +
                              " open connections, its limit; retry shortly");
    } else if (from_address >= o.max_connections_per_address) {
      refusal = JsonError(503, "TOO_MANY_CONNECTIONS",
                          "your address has " + std::to_string(from_address) +
                              " open connections, the limit for one address; close some "
                              "(keep-alive connections are reused) or retry shortly");
    } else {
      ++shared->connections;
      ++shared->by_address[address].connections;
    }
  }
  if (refusal) {
    ++shared->refused_connections;
    refusal->headers.emplace_back("Retry-After", "1");
  }
  bool counted = !refusal;
  std::make_shared<Session>(std::move(socket), shared, std::move(address), counted)
      ->Start(std::move(refusal));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->shared = std::make_shared<Shared>(options, std::move(handler));
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
          ++impl->shared->internal;
          impl->shared->Log("INTERNAL: an HTTP I/O task threw: " +
                            SanitizeUtf8(Utf8Prefix(e.what(), 300)));
        } catch (...) {
          ++impl->shared->internal;
          impl->shared->Log("INTERNAL: an HTTP I/O task threw");
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats st;
  const Shared& sh = *impl_->shared;
  {
    std::lock_guard<std::mutex> l(impl_->shared->mu);
    st.connections = sh.connections;
    st.addresses = sh.by_address.size();
    st.body_bytes = sh.body_bytes;
  }
  st.answer_bytes = sh.answer_bytes.load();
  st.refused_connections = sh.refused_connections.load();
  st.refused_busy = sh.refused_busy.load();
  st.timeouts = sh.timeouts.load();
  st.internal_errors = sh.internal.load();
  return st;
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard<std::mutex> l(impl_->shared->post_mu);
    impl_->shared->open = false;
  }
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    impl->retry.cancel();
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // No I/O thread runs any more. Sessions still alive (their Responder held
  // elsewhere) let go of their sockets and timers now, while the io_context
  // exists; the rest goes when the last holder lets go of them.
  std::lock_guard<std::mutex> l(impl_->shared->sessions_mu);
  for (Session* s : impl_->shared->sessions) ReleaseIo(s);
}

}  // namespace traceledger::api

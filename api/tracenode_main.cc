// tracenode: the program each supervision bureau runs (docs/operations.md).
//
//   tracenode --config FILE [--http-limit NAME=VALUE]...
//   tracenode --dev [--data DIR] [--http HOST:PORT] [--http-limit NAME=VALUE]...
#include <dlfcn.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

#include "api/http_server.h"
#include "api/service.h"
#include "node/config.h"

namespace {

// The HTTP server's limits that --http-limit may change, by name.
struct Limit {
  const char* name;
  size_t traceledger::api::HttpServerOptions::*size;
  int traceledger::api::HttpServerOptions::*ms;
};
constexpr Limit kLimits[] = {
    {"max_header_bytes", &traceledger::api::HttpServerOptions::max_header_bytes, nullptr},
    {"max_body_bytes", &traceledger::api::HttpServerOptions::max_body_bytes, nullptr},
    {"max_other_body_bytes", &traceledger::api::HttpServerOptions::max_other_body_bytes, nullptr},
    {"idle_timeout_ms", nullptr, &traceledger::api::HttpServerOptions::idle_timeout_ms},
    {"header_timeout_ms", nullptr, &traceledger::api::HttpServerOptions::header_timeout_ms},
    {"request_timeout_ms", nullptr, &traceledger::api::HttpServerOptions::request_timeout_ms},
    {"max_connections", &traceledger::api::HttpServerOptions::max_connections, nullptr},
    {"max_connections_per_address",
     &traceledger::api::HttpServerOptions::max_connections_per_address, nullptr},
    {"body_budget_bytes", &traceledger::api::HttpServerOptions::body_budget_bytes, nullptr},
    {"body_budget_per_address_bytes",
     &traceledger::api::HttpServerOptions::body_budget_per_address_bytes, nullptr},
    {"answer_budget_bytes", &traceledger::api::HttpServerOptions::answer_budget_bytes, nullptr},
};

std::string LimitNames() {
  std::string s;
  for (const Limit& l : kLimits) s += (s.empty() ? "" : ", ") + std::string(l.name);
  return s;
}

// Applies "NAME=VALUE" (VALUE a whole number, 1 .. 2^40) to *o; false and a
// message on stderr otherwise.
bool ApplyLimit(const std::string& arg, traceledger::api::HttpServerOptions* o) {
  auto eq = arg.find('=');
  std::string name = arg.substr(0, eq), value = eq == std::string::npos ? "" : arg.substr(eq + 1);
  if (value.empty() || value.size() > 13 ||
      value.find_first_not_of("0123456789") != std::string::npos || std::stoull(value) == 0 ||
      std::stoull(value) > (1ull << 40)) {
    std::fprintf(stderr, "tracenode: --http-limit %s: VALUE must be a whole number from 1\n",
                 arg.c_str());
    return false;
  }
  for (const Limit& l : kLimits) {
    if (name != l.name) continue;
    if (l.size) o->*l.size = static_cast<size_t>(std::stoull(value));
    if (l.ms) {
      if (std::stoull(value) > 3600000) {
        std::fprintf(stderr, "tracenode: --http-limit %s: at most 3600000 ms\n", arg.c_str());
        return false;
      }
      o->*l.ms = static_cast<int>(std::stoull(value));
    }
    return true;
  }
  std::fprintf(stderr, "tracenode: --http-limit: unknown limit \"%s\"; the limits are %s\n",
               name.c_str(), LimitNames().c_str());
  return false;
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: tracenode --config FILE [--http-limit NAME=VALUE]...\n"
      "       tracenode --dev [--data DIR] [--http HOST:PORT] [--http-limit NAME=VALUE]...\n"
      "  --dev runs one node on a fresh development genesis in DIR (default\n"
      "  ./tracenode-dev), writing DIR/genesis.json and DIR/regulator.json.\n"
      "  --http-limit changes one of the HTTP server's limits (docs/operations.md,\n"
      "  \"HTTP limits\"): %s.\n",
      LimitNames().c_str());
}

// Each open table file of the node's databases holds a descriptor (tables are
// read with pread, not mapped: ledger/db_options.h, which uses up to a quarter
// of the soft limit for them). Raise the soft limit to the hard one, at most
// 65,536, so that a default soft limit of 1,024 does not make large stores
// reopen table files on every read.
void RaiseOpenFileLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  rlim_t want = r.rlim_max == RLIM_INFINITY ? 65536 : std::min<rlim_t>(r.rlim_max, 65536);
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < want) {
    r.rlim_cur = want;
    (void)setrlimit(RLIMIT_NOFILE, &r);
  }
}

std::mutex log_mu;
// "jemalloc" when it serves malloc (api/CMakeLists.txt links it: glibc's malloc
// cost ~25 % of a node's CPU under trace reads and kept freed memory in
// per-thread arenas, docs/performance.md), else "glibc" (e.g. under a tool that
// preloads its own allocator).
const char* AllocatorName() {
  return dlsym(RTLD_DEFAULT, "mallctl") != nullptr ? "jemalloc" : "glibc";
}

void LogLine(const std::string& s) {
  std::lock_guard<std::mutex> l(log_mu);
  std::fprintf(stderr, "%s\n", s.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string config, data = "tracenode-dev", http = "127.0.0.1:8080";
  bool dev = false;
  traceledger::api::HttpServerOptions ho;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        Usage();
        std::exit(2);
      }
      *out = argv[++i];
    };
    if (a == "--config")
      value(&config);
    else if (a == "--dev")
      dev = true;
    else if (a == "--data")
      value(&data);
    else if (a == "--http")
      value(&http);
    else if (a == "--http-limit") {
      std::string limit;
      value(&limit);
      if (!ApplyLimit(limit, &ho)) return 2;
    } else if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else {
      std::fprintf(stderr, "tracenode: unknown argument %s\n", a.c_str());
      Usage();
      return 2;
    }
  }
  if (dev == !config.empty()) {
    Usage();
    return 2;
  }
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (RLIMIT_FSIZE) reached is an I/O error (EFBIG) the
  // node stops on cleanly (FATAL, /v1/status "stopped"), not a signal that
  // kills it.
  signal(SIGXFSZ, SIG_IGN);
  RaiseOpenFileLimit();  // before any database is opened

  auto cfg = dev ? traceledger::node::PrepareDevNode(data, http)
                 : traceledger::node::LoadNodeConfig(config);
  if (!cfg.ok()) {
    std::fprintf(stderr, "tracenode: %s\n", cfg.status().ToString().c_str());
    return 1;
  }
  cfg->options.log = LogLine;
  auto node = traceledger::node::Node::Open(cfg->options);
  if (!node.ok()) {
    std::fprintf(stderr, "tracenode: cannot open the node: %s\n", node.status().ToString().c_str());
    return 1;
  }
  traceledger::Status s = (*node)->Start();
  if (!s.ok()) {
    std::fprintf(stderr, "tracenode: cannot start: %s\n", s.ToString().c_str());
    return 1;
  }
  traceledger::api::ApiService service(node->get());
  auto colon = cfg->http_listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "tracenode: http address \"%s\" is not host:port\n",
                 cfg->http_listen.c_str());
    return 1;
  }
  ho.host = cfg->http_listen.substr(0, colon);
  ho.port = static_cast<uint16_t>(std::atoi(cfg->http_listen.substr(colon + 1).c_str()));
  ho.log = LogLine;
  auto server = traceledger::api::HttpServer::Start(
      ho, [&service](const traceledger::api::HttpRequest& req,
                     traceledger::api::Responder respond) { service.Handle(req, respond); });
  if (!server.ok()) {
    std::fprintf(stderr, "tracenode: %s\n", server.status().ToString().c_str());
    return 1;
  }
  service.SetHttpServer(server->get());  // its numbers in /metrics
  LogLine("tracenode " + cfg->options.node_id + " serving http://" + ho.host + ":" +
          std::to_string((*server)->port()) + "/ (chain " + cfg->options.genesis.chain_id +
          ", memory allocator " + AllocatorName() + ")");
  if (dev) {
    LogLine("dev network in " + data + ": genesis " + data + "/genesis.json, regulator key " +
            data + "/regulator.json");
  }
  int sig = 0;
  sigwait(&stop, &sig);
  LogLine(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  service.SetHttpServer(nullptr);
  (*server)->Stop();
  (*node)->Stop();
  return 0;
}

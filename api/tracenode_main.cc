// tracenode: the program each supervision bureau runs (docs/operations.md).
//
//   tracenode --config FILE
//   tracenode --dev [--data DIR] [--http HOST:PORT]
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

void Usage() {
  std::fprintf(stderr,
               "usage: tracenode --config FILE\n"
               "       tracenode --dev [--data DIR] [--http HOST:PORT]\n"
               "  --dev runs one node on a fresh development genesis in DIR (default\n"
               "  ./tracenode-dev), writing DIR/genesis.json and DIR/regulator.json.\n");
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
    else if (a == "--help" || a == "-h") {
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
  traceledger::api::HttpServerOptions ho;
  auto colon = cfg->http_listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "tracenode: http address \"%s\" is not host:port\n",
                 cfg->http_listen.c_str());
    return 1;
  }
  ho.host = cfg->http_listen.substr(0, colon);
  ho.port = static_cast<uint16_t>(std::atoi(cfg->http_listen.substr(colon + 1).c_str()));
  auto server = traceledger::api::HttpServer::Start(
      ho, [&service](const traceledger::api::HttpRequest& req,
                     traceledger::api::Responder respond) { service.Handle(req, respond); });
  if (!server.ok()) {
    std::fprintf(stderr, "tracenode: %s\n", server.status().ToString().c_str());
    return 1;
  }
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
  (*server)->Stop();
  (*node)->Stop();
  return 0;
}

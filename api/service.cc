#include "api/service.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/batch.h"
#include "api/cockpit.h"
#include "api/header_json.h"
#include "api/pages.h"
#include "api/trace_cache.h"
#include "api/trace_routes.h"
#include "api/views.h"
#include "api/work_queue.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/hex.h"
#include "ledger/json_parse.h"
#include "ledger/merkle.h"
#include "ledger/time_util.h"

namespace traceledger::api {

using nlohmann::json;

namespace {

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);  // never throws (a dump() would, on text that is not UTF-8)
  return r;
}

json ReceiptJson(const node::TxReceipt& r) {
  json j = {{"tx_id", ToHex(r.tx_id)}, {"status", r.ok ? "ok" : "rejected"},
            {"code", r.code},          {"message", r.message},
            {"height", r.height},      {"index", r.index}};
  if (!r.heads_root.empty()) j["heads_root"] = ToHex(r.heads_root);
  return j;
}

// Outcome of one envelope of a submission.
struct Item {
  std::string tx_id;  // raw, when parsed
  Status status;      // OK: accepted
  std::optional<Result<node::TxReceipt>> receipt;
};

json ItemJson(const Item& it) {
  if (!it.status.ok()) {
    json j = {{"status", "error"},
              {"error", {{"code", it.status.code()}, {"message", it.status.message()}}}};
    if (!it.tx_id.empty()) j["tx_id"] = ToHex(it.tx_id);
    return j;
  }
  if (it.receipt && it.receipt->ok()) return ReceiptJson(it.receipt->value());
  json j = {{"tx_id", ToHex(it.tx_id)}, {"status", "pending"}};
  if (it.receipt) j["message"] = it.receipt->status().message();
  return j;
}

// The HTTP status and body for a single envelope's outcome.
HttpResponse SingleResponse(const Item& it) {
  if (!it.status.ok()) {
    HttpResponse r = StatusError(it.status);
    return r;
  }
  if (it.receipt && it.receipt->ok()) {
    const node::TxReceipt& rc = it.receipt->value();
    if (!rc.ok) {
      json j = {{"error", {{"code", rc.code}, {"message", rc.message}}},
                {"receipt", ReceiptJson(rc)}};
      return Json(HttpStatusForCode(rc.code) == 400 ? 422 : HttpStatusForCode(rc.code), j);
    }
    return Json(200, ReceiptJson(rc));
  }
  return Json(202, ItemJson(it));
}

}  // namespace

ApiService::ApiService(node::Node* node)
    : node_(node),
      cockpit_(std::make_unique<Cockpit>(node)),
      trace_caches_(std::make_unique<TraceCaches>(node_)),
      trace_work_(std::make_unique<WorkQueue>(kTraceThreads, kMaxQueuedTraces, kBackgroundNice,
                                              "trace-answers")) {
  cockpit_->Start(kBackgroundNice, kBackfillNice);
}
ApiService::~ApiService() = default;

void ApiService::Handle(const HttpRequest& req, Responder respond) {
  auto start = std::chrono::steady_clock::now();
  Route(req, [this, start, path = req.path, method = req.head ? "HEAD" : req.method,
              respond = std::move(respond)](HttpResponse r) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    metrics_.Observe(path, method, r.status, took.count());
    respond(std::move(r));
  });
}

namespace {
// ?timeout_ms=N: an integer 1..kMaxWaitMs; absent leaves *ms as it is. False
// for anything else (the caller answers BadTimeout()).
bool ParseTimeoutMs(const HttpRequest& req, int* ms) {
  auto t = req.query.find("timeout_ms");
  if (t == req.query.end()) return true;
  const std::string& v = t->second;
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  int n = std::stoi(v);
  if (n < 1 || n > kMaxWaitMs) return false;
  *ms = n;
  return true;
}

HttpResponse BadTimeout() {
  return JsonError(
      400, "BAD_QUERY",
      "timeout_ms is a whole number of milliseconds from 1 to " + std::to_string(kMaxWaitMs));
}
}  // namespace

void ApiService::Route(const HttpRequest& req, Responder respond) {
  const std::string& p = req.path;
  auto method_not_allowed = [&](const char* allowed) {
    HttpResponse r = JsonError(
        405, "METHOD_NOT_ALLOWED",
        (req.head ? "HEAD" : req.method) + " is not allowed on " + p + "; use " + allowed);
    r.headers.emplace_back("Allow", allowed);
    respond(r);
  };
  if (p == "/v1/transactions") {
    if (req.method != "POST") return method_not_allowed("POST");
    return PostTransactions(req, std::move(respond));
  }
  // Reads of ledger data (not pages or metrics) may ask to be linearizable.
  const bool read = req.method == "GET" && (p.rfind("/v1/", 0) == 0 || IsTracePath(p));
  if (auto c = req.query.find("consistent"); c != req.query.end() && read) {
    if (c->second == "true") return ConsistentRead(req, std::move(respond));
    if (c->second != "false") {
      return respond(JsonError(400, "BAD_QUERY", "consistent is \"true\" or \"false\""));
    }
  }
  if (int unused; read && !ParseTimeoutMs(req, &unused)) return respond(BadTimeout());
  if (IsTracePath(p)) {
    if (p.rfind("/v1/", 0) != 0) {  // a Digital Link: its answer depends on Accept
      respond = [respond = std::move(respond)](HttpResponse r) {
        r.headers.emplace_back("Vary", "Accept");
        respond(std::move(r));
      };
    }
    if (auto page = TracePageFor(req)) {  // a phone that scanned a Digital Link QR code
      HttpResponse to{302, "text/plain; charset=utf-8", "the trace page: " + *page + "\n", {}};
      to.headers.emplace_back("Location", *page);
      return respond(std::move(to));
    }
    // A cached answer straight from the I/O thread; building one elsewhere.
    HttpResponse cached;
    if ((req.method == "GET" || req.method == "HEAD") &&
        trace_caches_->answers.Get(TraceAnswerCache::KeyOf(req), &cached, /*count_miss=*/true,
                                   /*may_look=*/false)) {
      return respond(std::move(cached));
    }
    auto job = [this, req, respond]() mutable {
      HttpResponse traced;
      HandleTraceRoute(node_, trace_caches_.get(), req, &traced);
      respond(std::move(traced));
    };
    if (!trace_work_->Post(job)) {
      HttpResponse busy =
          JsonError(503, "BUSY", "too many trace lookups in progress; retry shortly");
      busy.headers.emplace_back("Retry-After", "1");
      respond(std::move(busy));
    }
    return;
  }
  if (HttpResponse view; HandleViewRoute(node_, req, &view)) return respond(std::move(view));
  if (req.method != "GET") {
    if (p.rfind("/v1/", 0) == 0 || p == "/metrics") return method_not_allowed("GET, HEAD");
  }
  // These routes take no parameters (but consistent and timeout_ms).
  auto takes_none = [&](const char* route) {
    Status q = CheckQueryNames(req.query, {}, route);
    if (!q.ok()) respond(JsonError(400, q.code(), q.message()));
    return q.ok();
  };
  if (p.rfind("/v1/transactions/", 0) == 0) {
    if (takes_none("/v1/transactions/{tx_id}")) respond(GetTransaction(p.substr(17)));
    return;
  }
  if (p.rfind("/v1/blocks/", 0) == 0) {
    if (takes_none("/v1/blocks/{height}")) respond(GetBlock(p.substr(11)));
    return;
  }
  if (p == "/v1/status") {
    if (takes_none("/v1/status")) respond(GetStatus());
    return;
  }
  if (p == "/v1/cockpit") {
    if (takes_none("/v1/cockpit")) respond(GetCockpit());
    return;
  }
  if (p == "/metrics") return respond(GetMetrics());
  if (auto page = ServePage(req)) return respond(std::move(*page));
  respond(JsonError(404, "NOT_FOUND", "no such endpoint: " + p + " (see docs/api.md)"));
}

void ApiService::ConsistentRead(const HttpRequest& req, Responder respond) {
  int timeout = kDefaultReadWaitMs;
  if (!ParseTimeoutMs(req, &timeout)) return respond(BadTimeout());
  auto again = std::make_shared<HttpRequest>(req);
  again->query.erase("consistent");
  again->query.erase("timeout_ms");  // the wait's, not the view's (views refuse unknown names)
  again->body.clear();               // a GET's
  node_->ReadIndex(timeout, [this, again, respond = std::move(respond)](Status s) {
    if (!s.ok()) return respond(StatusError(s));
    // Called on the node's loop thread: the read itself runs on an I/O thread.
    auto serve = [this, again, respond] { Route(*again, respond); };
    if (again->post) return again->post(std::move(serve));
    serve();
  });
}

void ApiService::PostTransactions(const HttpRequest& req, Responder respond) {
  if (Status q = CheckQueryNames(req.query, {"wait"}, "POST /v1/transactions"); !q.ok()) {
    return respond(JsonError(400, q.code(), q.message()));
  }
  if (auto w = req.query.find("wait"); w != req.query.end() && w->second != "commit") {
    return respond(JsonError(400, "BAD_QUERY", "wait is \"commit\" (or leave it out)"));
  }
  if (int unused; !ParseTimeoutMs(req, &unused)) return respond(BadTimeout());
  // A batch has a member named "transactions"; that quoted name cannot occur
  // inside a JSON string (its quotes would be escaped), so a single envelope
  // goes straight to the strict envelope parser without a second parse here.
  // A batch is split into the exact bytes of its envelopes (api/batch.h): each
  // is parsed as if posted alone, with the same error codes, never
  // re-serialised. Cost: one scan of the body, no document tree.
  bool batch = req.body.find("\"transactions\"") != std::string::npos;
  std::vector<std::string_view> texts;
  if (batch) {
    if (Status s = SplitBatch(req.body, kMaxBatch, &texts); !s.ok()) {
      return respond(StatusError(s));  // 400 BAD_REQUEST, 413 BATCH_TOO_LARGE
    }
  } else {
    texts.push_back(req.body);
  }
  const Genesis& g = node_->genesis();
  auto items = std::make_shared<std::vector<Item>>(texts.size());
  std::vector<size_t> accepted;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto env = ParseEnvelope(texts[i], g.hash_alg);
    Item& it = (*items)[i];
    if (!env.ok()) {
      it.status = env.status();
      continue;
    }
    it.tx_id = env->tx_id;
    it.status = CheckChainId(*env, g.chain_id);
    if (it.status.ok()) it.status = node_->Submit(*env);
    if (it.status.ok()) accepted.push_back(i);
  }
  auto finish = [items, batch, respond]() {
    if (!batch) return respond(SingleResponse((*items)[0]));
    json results = json::array();
    for (const auto& it : *items) results.push_back(ItemJson(it));
    respond(Json(200, {{"results", results}}));
  };
  auto wait = req.query.find("wait");
  if (wait == req.query.end() || wait->second != "commit" || accepted.empty()) return finish();
  int timeout = kDefaultWaitMs;
  (void)ParseTimeoutMs(req, &timeout);  // checked before anything was submitted
  // Answer once every accepted envelope has a receipt or timed out. The last
  // receipt usually arrives on the node's loop thread: the answer is written
  // on an I/O thread (req.post), so the Raft loop never renders one and an
  // exception while rendering cannot reach it.
  auto remaining = std::make_shared<std::atomic<size_t>>(accepted.size());
  auto mu = std::make_shared<std::mutex>();
  auto post = req.post;
  for (size_t i : accepted) {
    node_->WaitForReceipt((*items)[i].tx_id, timeout,
                          [items, i, remaining, mu, finish, post](Result<node::TxReceipt> r) {
                            {
                              std::lock_guard<std::mutex> l(*mu);
                              (*items)[i].receipt = std::move(r);
                            }
                            if (remaining->fetch_sub(1) != 1) return;
                            if (post) return post(finish);
                            finish();
                          });
  }
}

HttpResponse ApiService::GetTransaction(const std::string& hex_id) {
  auto id = FromHex(hex_id);
  if (!id || id->size() != 32) {
    return JsonError(400, "BAD_TX_ID", "a transaction id is 64 lowercase hex characters");
  }
  const BlockStore& store = node_->blocks();
  auto loc = store.FindTransaction(*id);
  if (!loc.ok()) {
    if (loc.status().Is("NOT_FOUND")) {
      return JsonError(404, "NOT_FOUND",
                       "transaction " + hex_id +
                           " is not in the ledger (yet); if it was just "
                           "accepted, it may still be pending");
    }
    return StatusError(loc.status());
  }
  // The transaction's record and its block's header record: no block is loaded.
  pb::TxRecord rec;
  Status s = store.GetTxRecord(loc->height, loc->index, &rec);
  if (s.Is("NOT_FOUND"))
    s = Status::Corruption("the tx index points past block " + std::to_string(loc->height));
  if (s.ok() && rec.tx_id() != *id)
    s = Status::Corruption("the tx index entry of " + hex_id + " points at another transaction");
  if (!s.ok()) return StatusError(s);
  pb::HeaderRecord hdr;
  s = store.GetHeader(loc->height, &hdr);
  if (!s.ok()) return StatusError(s);
  const std::string& block_hash = hdr.block_hash();
  const auto& tx = rec.tx();
  const auto& rc = rec.receipt();
  json path = json::array();
  for (const auto& h : rec.tx_path()) path.push_back(ToHex(h));
  json j = {{"tx_id", hex_id},
            {"height", loc->height},
            {"index", loc->index},
            {"block_hash", ToHex(block_hash)},
            {"envelope",
             {{"payload", tx.payload()},
              {"signer", ToHex(tx.signer())},
              {"signature", ToHex(tx.signature())}}},
            {"receipt",
             ReceiptJson(node::TxReceipt{rc.tx_id(), rc.ok(), rc.ok() ? "OK" : rc.code(),
                                         rc.message(), rc.height(), rc.index(), rc.heads_root()})},
            {"proof", {{"leaf_index", loc->index}, {"tree_size", rec.tree_size()}, {"path", path}}},
            {"header", HeaderJson<json>(hdr.header(), block_hash)}};
  return Json(200, j);
}

HttpResponse ApiService::GetBlock(const std::string& which) {
  const BlockStore& store = node_->blocks();
  uint64_t height;
  if (which == "latest") {
    height = *store.latest_height();
  } else {
    if (which.empty() || which.size() > 19 ||
        which.find_first_not_of("0123456789") != std::string::npos) {
      return JsonError(400, "BAD_HEIGHT", "a block height is a non-negative integer or 'latest'");
    }
    height = std::stoull(which);
    if (height >= store.block_count()) {
      return JsonError(404, "NOT_FOUND",
                       "no block at height " + which + "; the latest is " +
                           std::to_string(store.block_count() - 1));
    }
  }
  pb::Block b;
  Status s = store.GetBlock(height, &b);
  if (!s.ok()) return StatusError(s);
  HashAlg alg = store.alg();
  std::string block_hash = BlockHash(alg, b.header());
  json j = HeaderJson<json>(b.header(), block_hash);
  json ids = json::array();
  for (const auto& id : BlockTxIds(alg, b)) ids.push_back(ToHex(id));
  j["tx_ids"] = ids;
  std::vector<pb::Attestation> atts;
  json aj = json::array();
  if (store.GetAttestations(height, &atts).ok()) {
    for (const auto& a : atts) {
      aj.push_back({{"node_id", a.node_id()}, {"signature", ToHex(a.signature())}});
    }
  }
  j["attestations"] = aj;
  return Json(200, j);
}

HttpResponse ApiService::GetStatus() {
  node::NodeStatus st = node_->GetStatus();
  json peers = json::array();
  for (const auto& p : st.peers) {
    peers.push_back(
        {{"id", p.id}, {"p2p", p.p2p}, {"connected", p.connected}, {"match_index", p.match_index}});
  }
  json j = {{"node_id", st.node_id},
            {"chain_id", node_->genesis().chain_id},
            {"hash", HashAlgName(node_->genesis().hash_alg)},
            {"role", st.role},
            {"stopped_reason", st.stopped_reason.empty() ? json(nullptr) : json(st.stopped_reason)},
            {"term", st.term},
            {"leader", st.leader.empty() ? json(nullptr) : json(st.leader)},
            {"commit_index", st.commit_index},
            {"applied_index", st.applied_index},
            {"height", st.height},
            {"latest_hash", st.latest_hash},
            {"mempool_size", st.mempool_size},
            {"snapshot_index", st.snapshot_index},
            {"catching_up_to", st.catching_up_to == 0 ? json(nullptr) : json(st.catching_up_to)},
            {"peers", peers}};
  return Json(200, j);
}

namespace {
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

HttpResponse ApiService::GetCockpit() {
  HttpResponse r;
  r.body = cockpit_->Json(NowMs());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse ApiService::GetMetrics() {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = metrics_.Render(node_->GetStatus(), cockpit_->Rates(NowMs()));
  r.body += TraceCacheMetrics(*trace_caches_);
  if (const HttpServer* server = http_server_.load())
    r.body += RenderHttpServerStats(server->stats());
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace traceledger::api

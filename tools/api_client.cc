#include "tools/api_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/json_parse.h"
#include "tools/http_client.h"

namespace traceledger::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Str(const json& j, const char* key) { return JsonString(j, key); }
uint64_t U64(const json& j, const char* key) { return JsonU64(j, key); }

void FromReceipt(const json& r, SubmitOutcome* out) {
  out->tx_id = Str(r, "tx_id");
  out->kind = Str(r, "status") == "ok" ? SubmitOutcome::kOk : SubmitOutcome::kRejected;
  out->code = Str(r, "code");
  out->message = Str(r, "message");
  out->height = U64(r, "height");
  out->index = static_cast<uint32_t>(U64(r, "index"));
}

// The tx id from the envelope text, if the hash is known and the text parses.
std::string LocalTxId(const std::string& envelope, const std::optional<HashAlg>& alg) {
  if (!alg) return "";
  json e;
  if (!ParseJson(envelope, JsonLimits{kMaxEnvelopeBytes, kMaxJsonDepth}, "the envelope", "ENVELOPE",
                 &e)
           .ok() ||
      !e.is_object() || !e.contains("payload") || !e["payload"].is_string() ||
      !e.contains("signer") || !e["signer"].is_string()) {
    return "";
  }
  auto signer = FromHex(e["signer"].get<std::string>());
  if (!signer) return "";
  return ToHex(TxId(*alg, *signer, e["payload"].get<std::string>()));
}

}  // namespace

std::string JsonString(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

uint64_t JsonU64(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

const json& JsonObject(const json& j, const char* key) {
  static const json kEmpty = json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

Status ParseAnswer(std::string_view body, const std::string& url, json* out) {
  Status s = ParseJson(body, JsonLimits{kMaxHttpResponseBytes, kMaxAnswerDepth},
                       "the answer of " + url, "ANSWER", out);
  if (!s.ok()) return Status::Error("HTTP_BAD_RESPONSE", s.message());
  return Status::OK();
}

const char* KindName(SubmitOutcome::Kind k) {
  switch (k) {
    case SubmitOutcome::kOk:
      return "ok";
    case SubmitOutcome::kRejected:
      return "rejected";
    case SubmitOutcome::kPending:
      return "pending";
    default:
      return "refused";
  }
}

std::string TrimUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Result<json> GetJson(const std::string& node_url, const std::string& path, int timeout_ms) {
  HttpCallOptions o;
  o.timeout_ms = timeout_ms;
  std::string url = TrimUrl(node_url) + path;
  auto r = HttpCall("GET", url, "", o);
  if (!r.ok()) return r.status();
  json j;
  if (!ParseAnswer(r->body, url, &j).ok()) {
    return Status::Error("HTTP_BAD_RESPONSE", url + " answered " + std::to_string(r->status) +
                                                  " with a body that is not JSON");
  }
  if (r->status / 100 != 2) {
    const json& e = JsonObject(j, "error");
    std::string code = Str(e, "code");
    return Status::Error(
        code.empty() ? "HTTP_" + std::to_string(r->status) : code,
        Str(e, "message") + " (GET " + url + ": " + std::to_string(r->status) + ")");
  }
  return j;
}

Result<SubmitOutcome> SubmitEnvelope(const std::string& node_url, const std::string& envelope,
                                     const SubmitOptions& opt) {
  const std::string base = TrimUrl(node_url);
  std::string url = base + "/v1/transactions";
  if (opt.wait) url += "?wait=commit&timeout_ms=" + std::to_string(opt.wait_ms);
  HttpCallOptions ho;
  ho.timeout_ms = opt.wait_ms + 5000;
  auto deadline = Clock::now() + std::chrono::milliseconds(opt.deadline_ms);
  SubmitOutcome out;
  out.tx_id = LocalTxId(envelope, opt.hash);
  bool accepted_before = false;  // a pending answer or a lost one: a DUPLICATE may be ours
  int backoff_ms = 100;
  for (int attempt = 0;; ++attempt) {
    out.attempts = attempt + 1;
    auto r = HttpCall("POST", url, envelope, ho);
    if (!r.ok() && !(r.status().Is("HTTP_TIMEOUT") && opt.wait)) return r.status();
    json j;
    if (r.ok()) {
      out.http_status = r->status;
      if (!ParseAnswer(r->body, url, &j).ok() || !j.is_object()) {
        return Status::Error("HTTP_BAD_RESPONSE",
                             url + " answered " + std::to_string(r->status) + " without JSON");
      }
    }
    bool retry = false;
    if (!r.ok()) {  // waited past the node's answer: may have been accepted
      accepted_before = true;
      retry = true;
    } else if (r->status == 200 && j.contains("tx_id")) {
      FromReceipt(j, &out);
      return out;
    } else if (j.contains("receipt") && j["receipt"].is_object()) {
      FromReceipt(j["receipt"], &out);
      return out;
    } else if (r->status == 202) {
      out.kind = SubmitOutcome::kPending;
      out.tx_id = Str(j, "tx_id");
      out.message = Str(j, "message");
      if (!opt.wait) return out;
      accepted_before = true;
      retry = true;
    } else {
      const json& e = JsonObject(j, "error");
      out.kind = SubmitOutcome::kRefused;
      out.code = Str(e, "code");
      out.message = Str(e, "message");
      if (out.tx_id.empty()) out.tx_id = Str(j, "tx_id");
      if (r->status == 503 || r->status == 429) {
        retry = true;
      } else if (out.code == "DUPLICATE" && accepted_before && !out.tx_id.empty()) {
        // Ours, committed or still waiting in a mempool: look it up.
        auto t = GetJson(base, "/v1/transactions/" + out.tx_id);
        if (t.ok() && t->contains("receipt")) {
          FromReceipt((*t)["receipt"], &out);
          return out;
        }
        retry = true;
      } else {
        return out;
      }
    }
    if (!retry || attempt >= opt.max_retries || Clock::now() >= deadline) {
      if (out.kind == SubmitOutcome::kRefused && out.code.empty()) {
        out.code = "TIMEOUT";
        out.message = "no answer from " + url + " within the deadline";
      }
      return out;
    }
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(backoff_ms, std::max(left, 0))));
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
}

}  // namespace traceledger::cli

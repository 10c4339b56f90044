// tracectl submit --node URL [--wait] [--hash sha256|sm3] FILE|- ...: posts envelope
// files to URL/v1/transactions and prints one line per envelope:
//
//   FILE: ok TX_ID height H index I
//   FILE: rejected TX_ID CODE: message        (committed; a rule refused it)
//   FILE: refused CODE: message               (not taken: bad signature, duplicate, ...)
//   FILE: pending TX_ID                       (accepted; not waited for)
//
// A file may also hold a batch {"transactions": [...]}; each result is printed.
// Exit 1 if any envelope was rejected, refused, or (with --wait) not committed.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "ledger/envelope.h"
#include "ledger/json_file.h"
#include "ledger/json_parse.h"
#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/http_client.h"

namespace traceledger::cli {
namespace {

using nlohmann::json;

constexpr size_t kMaxFiles = 10000;
// A file is one envelope or a batch: at most what a node takes in one request
// (api/http_server.h, max_body_bytes).
constexpr size_t kMaxSubmitFileBytes = 4 << 20;

void Print(const std::string& name, const SubmitOutcome& o) {
  switch (o.kind) {
    case SubmitOutcome::kOk:
      std::printf("%s: ok %s height %llu index %u\n", name.c_str(), o.tx_id.c_str(),
                  static_cast<unsigned long long>(o.height), o.index);
      break;
    case SubmitOutcome::kRejected:
      std::printf("%s: rejected %s %s: %s\n", name.c_str(), o.tx_id.c_str(), o.code.c_str(),
                  o.message.c_str());
      break;
    case SubmitOutcome::kPending:
      std::printf("%s: pending %s%s%s\n", name.c_str(), o.tx_id.c_str(),
                  o.message.empty() ? "" : " ", o.message.c_str());
      break;
    default:
      std::printf("%s: refused %s: %s\n", name.c_str(), o.code.c_str(), o.message.c_str());
  }
}

// A batch file: one POST; results printed as "FILE[i]: ...". Returns false if
// any is not ok (or pending without --wait).
Result<bool> SubmitBatch(const std::string& node, const std::string& name, const std::string& text,
                         bool wait) {
  std::string url = TrimUrl(node) + "/v1/transactions" + (wait ? "?wait=commit" : "");
  auto r = HttpCall("POST", url, text);
  if (!r.ok()) return r.status();
  json j;
  if (!ParseAnswer(r->body, url, &j).ok() || !j.is_object()) {
    return Status::Error("HTTP_BAD_RESPONSE", url + " answered without JSON");
  }
  if (!j.contains("results") || !j["results"].is_array()) {
    const json& e = JsonObject(j, "error");
    std::string code = JsonString(e, "code");
    std::printf("%s: refused %s: %s\n", name.c_str(), code.empty() ? "?" : code.c_str(),
                JsonString(e, "message").c_str());
    return false;
  }
  bool all_ok = true;
  size_t i = 0;
  for (const auto& it : j["results"]) {
    SubmitOutcome o;
    std::string st = JsonString(it, "status");
    o.tx_id = JsonString(it, "tx_id");
    o.code = JsonString(it, "code");
    o.message = JsonString(it, "message");
    o.height = JsonU64(it, "height");
    o.index = static_cast<uint32_t>(JsonU64(it, "index"));
    if (st == "ok") {
      o.kind = SubmitOutcome::kOk;
    } else if (st == "rejected") {
      o.kind = SubmitOutcome::kRejected;
    } else if (st == "pending") {
      o.kind = SubmitOutcome::kPending;
    } else {
      const json& e = JsonObject(it, "error");
      std::string code = JsonString(e, "code");
      o.code = code.empty() ? std::string(1, '?') : std::move(code);
      o.message = JsonString(e, "message");
    }
    all_ok =
        all_ok && (o.kind == SubmitOutcome::kOk || (!wait && o.kind == SubmitOutcome::kPending));
    Print(name + "[" + std::to_string(i++) + "]", o);
  }
  return all_ok;
}

}  // namespace

int CmdSubmit(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"node", "hash", "timeout-ms"}, {"wait"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("node")) return Usage("submit needs --node URL (e.g. http://127.0.0.1:8080)");
  if (args->positional.empty()) return Usage("submit needs envelope files (or - for stdin)");
  if (args->positional.size() > kMaxFiles) return Usage("at most 10000 files per call");
  auto url = ParseHttpUrl(args->Get("node"));
  if (!url.ok()) return Usage(url.status().message());
  SubmitOptions opt;
  opt.wait = args->Has("wait");
  if (args->Has("hash")) {
    auto alg = HashFlag(*args);
    if (!alg.ok()) return Usage(alg.status().message());
    opt.hash = *alg;
  }
  if (args->Has("timeout-ms")) {
    opt.wait_ms = std::clamp(std::atoi(args->Get("timeout-ms").c_str()), 1, 30000);
  }
  bool all_ok = true;
  for (const std::string& file : args->positional) {
    std::string name = file == "-" ? "stdin" : PrintablePath(file);
    auto text = ReadInput(file, kMaxSubmitFileBytes, "SUBMIT_FILE_TOO_LARGE");
    if (!text.ok()) return Fail(text.status());
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    // The same strict parse as the node's (ENVELOPE_* codes): text that is not
    // JSON, not UTF-8, too deep or with a member twice is refused here, naming
    // the file, and never sent.
    json probe;
    Status parsed = ParseJson(*text, JsonLimits{kMaxSubmitFileBytes, kMaxJsonDepth}, "the file",
                              "ENVELOPE", &probe);
    if (!parsed.ok()) {
      std::printf("%s: refused %s: %s\n", name.c_str(), parsed.code().c_str(),
                  parsed.message().c_str());
      all_ok = false;
      continue;
    }
    if (probe.is_object() && probe.contains("transactions")) {
      auto ok = SubmitBatch(args->Get("node"), name, *text, opt.wait);
      if (!ok.ok()) return Fail(ok.status());
      all_ok = all_ok && *ok;
      continue;
    }
    auto o = SubmitEnvelope(args->Get("node"), *text, opt);
    if (!o.ok()) return Fail(o.status());
    Print(name, *o);
    all_ok = all_ok &&
             (o->kind == SubmitOutcome::kOk || (!opt.wait && o->kind == SubmitOutcome::kPending));
  }
  std::fflush(stdout);
  return all_ok ? kExitOk : kExitFailed;
}

}  // namespace traceledger::cli

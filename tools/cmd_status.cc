// tracectl status --node URL [--wait-leader SECONDS] [--field NAME]
// tracectl get --node URL PATH [--field NAME]
//
// status prints a node's GET /v1/status; with --wait-leader it first polls until
// the node knows a leader (exit 1 if none within the time). get prints any GET
// answer. --field prints one top-level member as plain text (scripts use it).
#include <chrono>
#include <cstdio>
#include <thread>

#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/http_client.h"

namespace traceledger::cli {
namespace {

using nlohmann::json;

int PrintJson(const json& j, const std::string& field) {
  if (field.empty()) {
    std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (!j.is_object() || !j.contains(field)) {
    return Fail(Status::NotFound("the answer has no member \"" + field + "\""));
  }
  const json& v = j[field];
  std::printf("%s\n", v.is_string()
                          ? v.get<std::string>().c_str()
                          : v.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace

int CmdStatus(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"node", "wait-leader", "field"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("node")) return Usage("status needs --node URL");
  auto url = ParseHttpUrl(args->Get("node"));
  if (!url.ok()) return Usage(url.status().message());
  double wait_s = std::atof(args->Get("wait-leader", "0").c_str());
  if (wait_s < 0 || wait_s > 3600) return Usage("--wait-leader takes 0..3600 seconds");
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(wait_s * 1000));
  Status last;
  while (true) {
    auto st = GetJson(args->Get("node"), "/v1/status", 2000);
    if (st.ok()) {
      bool has_leader = st->contains("leader") && (*st)["leader"].is_string();
      if (!args->Has("wait-leader") || has_leader) return PrintJson(*st, args->Get("field"));
      last = Status::Error("NO_LEADER", "the node knows no leader yet");
    } else {
      last = st.status();
    }
    if (!args->Has("wait-leader") || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Fail(last);
}

int CmdGet(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"node", "field"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("node") || args->positional.size() != 1) {
    return Usage("get needs --node URL and one PATH (e.g. /v1/blocks/latest)");
  }
  std::string path = args->positional[0];
  if (path.empty() || path[0] != '/') return Usage("PATH must start with '/'");
  auto j = GetJson(args->Get("node"), path);
  if (!j.ok()) return Fail(j.status());
  return PrintJson(*j, args->Get("field"));
}

}  // namespace traceledger::cli

// tracectl demo-load --node URL --regulator FILE [--chain-id ID] [--hash sha256|sm3]
//                    [--keys DIR] [--run N] [--quiet]
// See demo_load.h.
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include "contracts/ids.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/time_util.h"
#include "tools/api_client.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/demo_load.h"
#include "tools/http_client.h"

namespace traceledger::cli {

using nlohmann::json;

namespace {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Pad(uint64_t v, int width) {
  std::string s = std::to_string(v);
  return std::string(s.size() < static_cast<size_t>(width) ? width - s.size() : 0, '0') + s;
}

bool quiet = false;

}  // namespace

Demo::Demo(std::string node_url, std::string chain_id, HashAlg alg, KeyPair regulator,
           std::string keys_dir, uint32_t run)
    : node_(std::move(node_url)),
      chain_id_(std::move(chain_id)),
      alg_(alg),
      keys_dir_(std::move(keys_dir)),
      run_(run) {
  regulator_.name = "regulator";
  regulator_.key = std::move(regulator);
}

std::string Demo::RunTag() const { return Pad(run_, 6); }

std::string Demo::Gtin(int product) const {
  std::string body = "0690" + RunTag() + Pad(static_cast<uint64_t>(product), 3);
  return body + std::to_string(Gs1CheckDigit(body));
}

std::string Demo::Sscc(int serial) const {
  std::string body = "10690" + RunTag() + Pad(static_cast<uint64_t>(serial), 6);
  return "(00)" + body + std::to_string(Gs1CheckDigit(body));
}

std::string Demo::Item(const std::string& gtin, const std::string& serial) {
  return "(01)" + gtin + "(21)" + serial;
}

std::string Demo::Id(const std::string& prefix) const { return prefix + "-" + RunTag(); }

std::string Demo::Sha256Hex(const std::string& text) { return ToHex(Hash(HashAlg::kSha256, text)); }

std::string Demo::Time(int64_t offset_ms) { return FormatRfc3339Millis(NowMillis() + offset_ms); }

std::string Demo::Day(int days_from_today) {
  return FormatRfc3339Millis(NowMillis() + days_from_today * 86400000LL).substr(0, 10);
}

Result<Party> Demo::Enroll(const std::string& name, const std::string& region,
                           const std::vector<std::string>& roles) {
  Party p;
  p.name = name;
  p.roles = roles;
  std::string first17 = "91" + region + "M" + RunTag() + Pad(static_cast<uint64_t>(++enrolled_), 2);
  p.uscc = first17 + UsccCheckChar(first17);
  if (!IsValidUscc(p.uscc)) return Status::InvalidArgument("built an invalid USCC " + p.uscc);
  auto kp = GenerateKeyPair();
  if (!kp.ok()) return kp.status();
  p.key = *kp;
  TL_RETURN_IF_ERROR(WriteKeyFile(keys_dir_ + "/" + p.uscc + ".json", p.key));
  json body = {{"uscc", p.uscc},
               {"name", name},
               {"roles", roles},
               {"public_key", ToHex(p.key.public_key)},
               {"region", region}};
  auto tx = Step(regulator_, "registry.enroll", body, "enrol " + name);
  if (!tx.ok()) return tx.status();
  ++enterprises;
  return p;
}

Result<std::string> Demo::Step(const Party& signer, const std::string& type, const json& body,
                               const std::string& what, const std::string& expect) {
  nlohmann::ordered_json payload;
  payload["chain_id"] = chain_id_;
  payload["type"] = type;
  payload["nonce"] = "demo-" + RunTag() + "-" + std::to_string(++nonce_);
  payload["time"] = Time();
  payload["body"] = body;
  auto env = SignEnvelope(signer.key.private_key, payload.dump(), alg_);
  if (!env.ok()) return env.status();
  SubmitOptions opt;
  opt.hash = alg_;
  auto out = SubmitEnvelope(node_, *env, opt);
  if (!out.ok()) {
    return Status::Error(out.status().code(),
                         "step \"" + what + "\" (" + type + "): " + out.status().message());
  }
  std::string got;
  switch (out->kind) {
    case SubmitOutcome::kOk:
      got = "OK";
      break;
    case SubmitOutcome::kRejected:
      got = out->code;
      break;
    case SubmitOutcome::kPending:
      got = "PENDING";
      break;
    default:
      got = "REFUSED " + out->code;
  }
  if (got != expect) {
    return Status::Error("DEMO_SURPRISE",
                         "step \"" + what + "\" (" + type + ", signed by " +
                             (signer.uscc.empty() ? "the regulator" : signer.name) + ") expected " +
                             expect + " but got " + got +
                             (out->message.empty() ? "" : ": " + out->message));
  }
  std::string line = expect == "OK"
                         ? "  ok       " + type + "  " + what
                         : "  refused  " + type + "  " + what + " -> " + expect + " (as expected)";
  if (!quiet) std::printf("%s\n", line.c_str()), std::fflush(stdout);
  log.push_back(line);
  if (expect == "OK") {
    ++ok_steps;
  } else {
    expected_refusals.push_back(expect + ": " + what);
  }
  return out->tx_id;
}

int CmdDemoLoad(int argc, char** argv) {
  auto args =
      ParseArgs(argc, argv, {"node", "regulator", "chain-id", "hash", "keys", "run"}, {"quiet"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("node") || !args->Has("regulator")) {
    return Usage("demo-load needs --node URL and --regulator KEYFILE");
  }
  quiet = args->Has("quiet");
  std::string node = TrimUrl(args->Get("node"));
  auto url = ParseHttpUrl(node);
  if (!url.ok()) return Usage(url.status().message());
  auto reg = ReadKeyFile(args->Get("regulator"));
  if (!reg.ok()) return Fail(reg.status());

  // The chain id and hash: flags first, else the node's status.
  std::string chain_id = args->Get("chain-id");
  std::optional<HashAlg> alg;
  if (args->Has("hash")) {
    auto a = HashFlag(*args);
    if (!a.ok()) return Usage(a.status().message());
    alg = *a;
  }
  if (chain_id.empty() || !alg) {
    auto st = GetJson(node, "/v1/status");
    if (!st.ok()) return Fail(st.status());
    if (chain_id.empty()) chain_id = JsonString(*st, "chain_id");
    if (!alg) {
      std::string hash = JsonString(*st, "hash");
      auto a = ParseHashAlg(hash.empty() ? "sha256" : hash);
      if (!a) return Fail(Status::InvalidArgument("the node reports an unknown hash"));
      alg = *a;
    }
    if (chain_id.empty()) {
      return Fail(Status::InvalidArgument("the node's status has no chain_id; pass --chain-id"));
    }
  }

  uint32_t run;
  if (args->Has("run")) {
    run = static_cast<uint32_t>(std::strtoul(args->Get("run").c_str(), nullptr, 10) % 1000000);
  } else {
    std::random_device rd;
    run = 100000 + rd() % 900000;
  }
  std::string keys_dir = args->Get("keys");
  if (keys_dir.empty()) {
    std::string reg_path = args->Get("regulator");
    auto slash = reg_path.rfind('/');
    keys_dir = (slash == std::string::npos ? "." : reg_path.substr(0, slash)) + "/demo-keys-" +
               Pad(run, 6);
  }
  if (::mkdir(keys_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Fail(Status::IOError("cannot create " + keys_dir + ": " + std::strerror(errno)));
  }

  Demo d(node, chain_id, *alg, *reg, keys_dir, run);
  auto started = std::chrono::steady_clock::now();
  if (!quiet) {
    std::printf("demo-load: chain %s (%s) via %s, run %s, enterprise keys in %s\n",
                chain_id.c_str(), HashAlgName(*alg), node.c_str(), d.RunTag().c_str(),
                keys_dir.c_str());
  }
  for (auto play : {PlayVaccines, PlayImportedShrimp, PlayFarmToSaladAndRecall}) {
    Status s = play(d);
    if (!s.ok()) {
      std::fprintf(stderr, "demo-load: FAILED: %s\n", s.ToString().c_str());
      return kExitFailed;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::printf(
      "\ndemo-load: done in %.1f s: %d enterprises enrolled, %d item codes, %d "
      "transactions committed ok, %zu refused as expected.\n",
      secs, d.enterprises, d.codes, d.ok_steps, d.expected_refusals.size());
  std::printf("Refusals seen as expected (the rules at work):\n");
  for (const auto& r : d.expected_refusals) std::printf("  %s\n", r.c_str());
  std::printf("Codes to look up (item histories):\n");
  for (const auto& [label, v] : d.lookups) std::printf("  %-38s %s\n", label.c_str(), v.c_str());
  std::printf("Transactions to look up (GET /v1/transactions/ID):\n");
  for (const auto& [label, v] : d.tx_lookups) {
    std::printf("  %-38s %s\n", label.c_str(), v.c_str());
  }
  std::printf("Enterprise keys: %s (one file per USCC)\n", keys_dir.c_str());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace traceledger::cli

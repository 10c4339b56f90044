// tracectl keygen | sign | verify | hash.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/keys.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace traceledger::cli {

using nlohmann::json;

int CmdKeygen(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"out"}, {});
  if (!args.ok()) return Usage(args.status().message());
  auto kp = GenerateKeyPair();
  if (!kp.ok()) return Fail(kp.status());
  std::string text = KeyFileJson(*kp);
  if (args->Has("out")) {
    Status s = WriteKeyFile(args->Get("out"), *kp);
    if (!s.ok()) return Fail(s);
    std::printf("%s\n", ToHex(kp->public_key).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
  return kExitOk;
}

int CmdSign(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"key", "payload", "hash"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("key") || !args->Has("payload")) return Usage("sign needs --key and --payload");
  auto alg = HashFlag(*args);
  if (!alg.ok()) return Usage(alg.status().message());
  auto kp = ReadKeyFile(args->Get("key"));
  if (!kp.ok()) return Fail(kp.status());
  auto payload = ReadInput(args->Get("payload"));
  if (!payload.ok()) return Fail(payload.status());
  auto env = SignEnvelope(kp->private_key, *payload, *alg);
  if (!env.ok()) return Fail(env.status());
  // Refuse to hand out an envelope the ledger would refuse.
  auto check = ParseEnvelope(*env, *alg);
  if (!check.ok()) return Fail(check.status());
  std::printf("%s\n", env->c_str());
  return kExitOk;
}

int CmdVerify(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"envelope", "hash"}, {});
  if (!args.ok()) return Usage(args.status().message());
  auto alg = HashFlag(*args);
  if (!alg.ok()) return Usage(alg.status().message());
  std::string path = args->Get("envelope", args->positional.empty() ? "-" : args->positional[0]);
  auto text = ReadInput(path);
  if (!text.ok()) return Fail(text.status());
  // A trailing newline from a file or a pipe is not part of the envelope.
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  auto env = ParseEnvelope(*text, *alg);
  if (!env.ok()) return Fail(env.status());
  std::printf("%s\n", ToHex(env->tx_id).c_str());
  return kExitOk;
}

int CmdHash(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"alg"}, {});
  if (!args.ok()) return Usage(args.status().message());
  auto alg = HashFlag(*args, "alg");
  if (!alg.ok()) return Usage(alg.status().message());
  auto data = ReadInput(args->positional.empty() ? "-" : args->positional[0]);
  if (!data.ok()) return Fail(data.status());
  std::printf("%s\n", ToHex(Hash(*alg, *data)).c_str());
  return kExitOk;
}

}  // namespace traceledger::cli

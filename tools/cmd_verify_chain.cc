// tracectl verify-chain --data DIR: re-checks every block of a stopped node's store.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "ledger/chain_verify.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace traceledger::cli {

int CmdVerifyChain(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"data", "hash"}, {"quiet"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("data")) return Usage("verify-chain needs --data DIR (a block store directory)");
  std::optional<HashAlg> alg;
  if (args->Has("hash")) {
    auto a = HashFlag(*args);
    if (!a.ok()) return Usage(a.status().message());
    alg = *a;
  }
  bool quiet = args->Has("quiet");
  // Accept a node's data directory (DIR/blocks) or a testnet node directory
  // (DIR/data/blocks) as well as the block store itself.
  std::string dir = args->Get("data");
  for (const char* sub : {"", "/blocks", "/data/blocks"}) {
    if (::access((dir + sub + "/CURRENT").c_str(), F_OK) == 0) {
      dir += sub;
      break;
    }
  }
  auto last = std::chrono::steady_clock::now();
  auto report = VerifyChain(dir, alg, [&](uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (!quiet && now - last > std::chrono::seconds(1)) {
      std::fprintf(stderr, "verify-chain: %llu/%llu blocks\n",
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
      last = now;
    }
  });
  if (!report.ok()) {
    if (report.failed_height) {
      std::fprintf(stderr, "verify-chain: FAILED at height %llu: %s\n",
                   static_cast<unsigned long long>(*report.failed_height),
                   report.status.ToString().c_str());
    } else {
      std::fprintf(stderr, "verify-chain: FAILED: %s\n", report.status.ToString().c_str());
    }
    return kExitFailed;
  }
  std::printf(
      "verify-chain: ok: %llu blocks, %llu transactions, %llu attestations checked (%s) in %.3f "
      "s\n",
      static_cast<unsigned long long>(report.blocks),
      static_cast<unsigned long long>(report.transactions),
      static_cast<unsigned long long>(report.attestations), HashAlgName(report.alg),
      report.seconds);
  return kExitOk;
}

}  // namespace traceledger::cli

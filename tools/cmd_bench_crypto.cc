// tracectl bench-crypto: crypto throughput on one core (single thread).
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "ledger/envelope.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace traceledger::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `op(i)` repeatedly for about `seconds`; returns operations per second.
double Rate(double seconds, const std::function<void(size_t)>& op) {
  size_t n = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (true) {
    for (int k = 0; k < 64; ++k) op(n++);
    if (Clock::now() >= deadline) break;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(n) / elapsed;
}

// A realistic shipment payload of about 350 bytes.
std::string ShipPayload(size_t i) {
  return R"({"chain_id":"zj-vaccine","type":"trace.ship","nonce":"ship-)" + std::to_string(i) +
         R"(","time":"2026-11-30T08:00:00Z","body":{"shipment_id":"SHP-2026-)" + std::to_string(i) +
         R"(","codes":["(01)06901234567892(21)SN)" + std::to_string(i) +
         R"(","(01)06901234567892(21)SN)" + std::to_string(i + 1) +
         R"("],"to":"91330100MA2B3C4D5E","carrier":"浙江冷链物流","vehicle":"浙A12345",)"
         R"("expected_arrival":"2026-11-30T18:00:00Z"}})";
}

}  // namespace

int CmdBenchCrypto(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"seconds"}, {});
  if (!args.ok()) return Usage(args.status().message());
  double seconds = std::stod(args->Get("seconds", "1"));
  if (!(seconds > 0 && seconds <= 60)) return Usage("--seconds must be in (0, 60]");

  constexpr size_t kSamples = 256;
  std::vector<std::string> pubs, digests, sigs, envelopes;
  for (size_t i = 0; i < kSamples; ++i) {
    KeyPair kp = *GenerateKeyPair();
    std::string payload = ShipPayload(i);
    pubs.push_back(kp.public_key);
    digests.push_back(Hash(HashAlg::kSha256, payload));
    sigs.push_back(*SignDigest(kp.private_key, digests.back()));
    envelopes.push_back(*SignEnvelope(kp.private_key, payload, HashAlg::kSha256));
  }
  size_t failures = 0;
  std::printf("tracectl bench-crypto: one thread, %.1f s per measurement\n", seconds);
  double verify = Rate(seconds, [&](size_t i) {
    failures += !VerifyDigest(pubs[i % kSamples], digests[i % kSamples], sigs[i % kSamples]).ok();
  });
  std::printf("  signature verifications/s        %10.0f\n", verify);
  double env = Rate(seconds, [&](size_t i) {
    failures += !ParseEnvelope(envelopes[i % kSamples], HashAlg::kSha256).ok();
  });
  std::printf("  envelope parse+verify/s          %10.0f  (%zu-byte envelopes, 256 signers)\n", env,
              envelopes[0].size());
  // Every envelope from a signer not seen before: the signer-key cache misses.
  constexpr size_t kCold = 8192;
  std::vector<std::string> cold;
  for (size_t i = 0; i < kCold; ++i) {
    KeyPair kp = *GenerateKeyPair();
    cold.push_back(*SignEnvelope(kp.private_key, ShipPayload(i), HashAlg::kSha256));
  }
  size_t cold_n = 0;
  auto cold_start = std::chrono::steady_clock::now();
  for (; cold_n < kCold; ++cold_n) {
    failures += !ParseEnvelope(cold[cold_n], HashAlg::kSha256).ok();
    if (std::chrono::steady_clock::now() - cold_start > std::chrono::duration<double>(seconds)) {
      ++cold_n;
      break;
    }
  }
  double cold_rate =
      cold_n / std::chrono::duration<double>(std::chrono::steady_clock::now() - cold_start).count();
  std::printf("  envelope parse+verify/s          %10.0f  (a new signer each time)\n", cold_rate);
  std::string mib(1 << 20, 'x');
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    double rate = Rate(seconds / 4, [&](size_t) { Hash(alg, mib); });
    std::printf("  %-6s MB/s                      %10.1f\n", HashAlgName(alg),
                rate * mib.size() / 1e6);
  }
  std::vector<std::string> leaves;
  for (size_t i = 0; i < 10000; ++i) leaves.push_back(Hash(HashAlg::kSha256, std::to_string(i)));
  double roots = Rate(seconds / 2, [&](size_t) { MerkleRoot(HashAlg::kSha256, leaves); });
  std::printf("  Merkle roots of 10,000 leaves/s  %10.1f  (sha256)\n", roots);
  if (failures != 0) {
    std::fprintf(stderr, "bench-crypto: %zu verifications failed\n", failures);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace traceledger::cli

// Writes genesis files for new networks (tracectl testnet, tracenode --dev).
// The result is pretty-printed JSON that ParseGenesis accepts; the genesis hash
// is that of the written bytes, so write the file once and share it.
#ifndef TRACELEDGER_GENESIS_GENESIS_WRITER_H_
#define TRACELEDGER_GENESIS_GENESIS_WRITER_H_

#include <string>
#include <vector>

#include "genesis/genesis.h"

namespace traceledger {

struct GenesisSpec {
  std::string chain_id;
  HashAlg hash_alg = HashAlg::kSha256;
  std::string genesis_time;  // RFC 3339 UTC
  std::vector<ValidatorInfo> validators;
  std::vector<RegulatorInfo> regulators;
  uint32_t block_max_txs = 2000;
  uint32_t block_max_interval_ms = 200;
};

// The genesis JSON text with the standard Zhejiang parameters: vaccine 2–8 °C,
// frozen ≤ −18 °C, chilled 0–4 °C, the four import documents, a 72-hour
// shipment deadline, 300 s future skew.
std::string BuildGenesisJson(const GenesisSpec& spec);

}  // namespace traceledger

#endif  // TRACELEDGER_GENESIS_GENESIS_WRITER_H_

// tracectl demo-load: enrols demo enterprises and plays realistic histories
// through a node's HTTP API (docs/operations.md, "What the demo loads").
//
// Every step is signed here, submitted with ?wait=commit and its receipt
// checked against what the step expects: "ok" or a named rejection code. Any
// other outcome stops the load with an error that names the step.
//
// Identifiers carry a per-run number so that the loader can run again on the
// same chain: USCCs 91<region>M<run:6><seq:2><check>, GTINs 0690<run:6><nnn><check>,
// shipment and recall ids ...-<run>.
#ifndef TRACELEDGER_TOOLS_DEMO_LOAD_H_
#define TRACELEDGER_TOOLS_DEMO_LOAD_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/status.h"

namespace traceledger::cli {

struct Party {
  std::string name;
  std::string uscc;  // empty for the regulator
  std::vector<std::string> roles;
  KeyPair key;
};

class Demo {
 public:
  Demo(std::string node_url, std::string chain_id, HashAlg alg, KeyPair regulator,
       std::string keys_dir, uint32_t run);

  // Generates a key, saves it in keys_dir, and enrols the enterprise (signed by
  // the regulator). `region` is a 6-digit administrative division code.
  Result<Party> Enroll(const std::string& name, const std::string& region,
                       const std::vector<std::string>& roles);

  // Signs and submits one transaction, waits for its receipt and checks it:
  // `expect` is "OK" or the rejection code the step must produce. Returns the
  // tx id (hex). `what` describes the step for the log and errors.
  Result<std::string> Step(const Party& signer, const std::string& type, const nlohmann::json& body,
                           const std::string& what, const std::string& expect = "OK");

  const Party& regulator() const { return regulator_; }
  uint32_t run() const { return run_; }
  std::string RunTag() const;           // the run number, 6 digits
  std::string Gtin(int product) const;  // a GTIN-14 for this run
  std::string Sscc(int serial) const;   // "(00)" + SSCC-18
  static std::string Item(const std::string& gtin, const std::string& serial);
  std::string Id(const std::string& prefix) const;  // prefix-run
  static std::string Sha256Hex(const std::string& text);
  // RFC 3339 "now" plus an offset; a calendar day counted from today.
  static std::string Time(int64_t offset_ms = 0);
  static std::string Day(int days_from_today);

  // What happened, for the summary.
  int ok_steps = 0;
  int enterprises = 0;
  int codes = 0;                                  // item codes commissioned or made
  std::vector<std::string> expected_refusals;     // "CODE: what"
  std::map<std::string, std::string> lookups;     // label -> code or id to look up
  std::map<std::string, std::string> tx_lookups;  // label -> tx id
  std::vector<std::string> log;

 private:
  std::string node_;
  std::string chain_id_;
  HashAlg alg_;
  Party regulator_;
  std::string keys_dir_;
  uint32_t run_;
  int enrolled_ = 0;
  uint64_t nonce_ = 0;
};

// The three histories (demo_stories.cc).
Status PlayVaccines(Demo& d);
Status PlayImportedShrimp(Demo& d);
Status PlayFarmToSaladAndRecall(Demo& d);

}  // namespace traceledger::cli

#endif  // TRACELEDGER_TOOLS_DEMO_LOAD_H_

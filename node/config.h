// The node's configuration file (docs/operations.md):
//   {"node_id": "n1", "genesis": "../genesis.json", "key": "key.json",
//    "tls_key": "tls-key.pem", "tls_cert": "tls-cert.pem",
//    "data_dir": "data", "p2p": "127.0.0.1:7001", "http": "127.0.0.1:8001"}
// Relative paths are relative to the configuration file's directory. "p2p" and
// "http" default to the validator's addresses in genesis; "tls_key" and
// "tls_cert" to tls-key.pem and tls-cert.pem beside the configuration file.
// They are read only when genesis pins a TLS identity for node_id, and then
// must load and have one of its pins (TLS_KEY_MISSING, TLS_KEY_PERMISSIONS,
// TLS_INVALID, TLS_PIN_MISMATCH).
#ifndef TRACELEDGER_NODE_CONFIG_H_
#define TRACELEDGER_NODE_CONFIG_H_

#include <string>

#include "node/node.h"

namespace traceledger::node {

struct NodeConfig {
  NodeOptions options;
  std::string http_listen;  // host:port
};

// Reads the configuration, the genesis and the key, and checks they agree.
// Errors name the file and what to fix (CONFIG_INVALID, GENESIS_INVALID, ...).
Result<NodeConfig> LoadNodeConfig(const std::string& path);

// Prepares a single-node development network in `dir` on first use (a fresh
// genesis with one validator "dev" and a dev regulator; writes
// dir/genesis.json, dir/regulator.json and dir/node-key.json) and loads it.
// Later runs reuse what is there.
Result<NodeConfig> PrepareDevNode(const std::string& dir, const std::string& http_listen);

// A loopback TCP port that was free a moment ago (0 if none could be found).
uint16_t FreeLoopbackPort();

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_CONFIG_H_

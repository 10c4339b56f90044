// tracectl testnet --nodes N --out DIR [--hash sm3] [--chain-id ID]: writes a local
// network on loopback (docs/operations.md, "Testnet layout"):
//
//   DIR/genesis.json        validators n1..nN (keys, p2p and http addresses), a regulator
//   DIR/regulator.json      the regulator's key (tracectl keygen format)
//   DIR/nK/config.json      node_id, genesis, key, data_dir, p2p, http
//   DIR/nK/key.json         the validator's key
//   DIR/nK/tls-key.pem      its TLS key (Ed25519) and self-signed certificate, whose
//   DIR/nK/tls-cert.pem     pin genesis lists as the validator's tls_spki_sha256
//   DIR/nK/data/            the node's data directory (created empty)
#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "genesis/genesis_writer.h"
#include "ledger/key_file.h"
#include "ledger/time_util.h"
#include "node/config.h"
#include "node/tls_identity.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace traceledger::cli {
namespace {

constexpr int kMaxNodes = 16;

// OK if `dir` does not exist or is an empty directory (then created / kept).
Status PrepareEmptyDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      return Status::IOError("cannot create " + dir + ": " + std::strerror(errno));
    }
    return Status::OK();
  }
  if (!S_ISDIR(st.st_mode))
    return Status::Error("OUT_EXISTS", dir + " exists and is not a directory");
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::IOError("cannot read " + dir + ": " + std::strerror(errno));
  bool empty = true;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
  }
  ::closedir(d);
  if (!empty) {
    return Status::Error("OUT_EXISTS", dir + " is not empty; choose a new directory or remove it");
  }
  return Status::OK();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

// Distinct free loopback ports (the OS hands out ephemeral ports in sequence,
// but nothing promises two calls differ).
Result<std::vector<uint16_t>> FreePorts(size_t n) {
  std::set<uint16_t> seen;
  std::vector<uint16_t> out;
  for (int tries = 0; out.size() < n && tries < 1000; ++tries) {
    uint16_t p = node::FreeLoopbackPort();
    if (p != 0 && seen.insert(p).second) out.push_back(p);
  }
  if (out.size() < n) return Status::IOError("cannot find free loopback ports");
  return out;
}

}  // namespace

int CmdTestnet(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"nodes", "out", "hash", "chain-id"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("out")) return Usage("testnet needs --out DIR");
  int n = std::atoi(args->Get("nodes", "3").c_str());
  if (n < 1 || n > kMaxNodes) {
    return Usage("--nodes must be 1.." + std::to_string(kMaxNodes));
  }
  auto alg = HashFlag(*args);
  if (!alg.ok()) return Usage(alg.status().message());
  std::string out = args->Get("out");
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  Status s = PrepareEmptyDir(out);
  if (!s.ok()) return Fail(s);

  GenesisSpec spec;
  spec.chain_id = args->Get("chain-id", "zj-trace-testnet");
  spec.hash_alg = *alg;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  spec.genesis_time = FormatRfc3339Millis(now - now % 1000);
  spec.block_max_interval_ms = 100;
  auto ports = FreePorts(2 * static_cast<size_t>(n));
  if (!ports.ok()) return Fail(ports.status());
  std::vector<KeyPair> keys;
  std::vector<node::TlsIdentity> tls;
  for (int k = 1; k <= n; ++k) {
    auto kp = GenerateKeyPair();
    if (!kp.ok()) return Fail(kp.status());
    keys.push_back(*kp);
    std::string id = "n" + std::to_string(k);
    auto t = node::GenerateTlsIdentity(id);
    if (!t.ok()) return Fail(t.status());
    tls.push_back(*t);
    std::string p2p = "127.0.0.1:" + std::to_string((*ports)[2 * (k - 1)]);
    std::string http = "127.0.0.1:" + std::to_string((*ports)[2 * (k - 1) + 1]);
    spec.validators.push_back({id, kp->public_key, p2p, http, {t->spki_sha256}});
  }
  auto reg = GenerateKeyPair();
  if (!reg.ok()) return Fail(reg.status());
  spec.regulators.push_back({"浙江省市场监督管理局 (testnet)", reg->public_key});

  s = WriteText(out + "/genesis.json", BuildGenesisJson(spec));
  if (s.ok()) s = WriteKeyFile(out + "/regulator.json", *reg);
  for (int k = 1; s.ok() && k <= n; ++k) {
    const ValidatorInfo& v = spec.validators[k - 1];
    std::string dir = out + "/" + v.id;
    if (::mkdir(dir.c_str(), 0755) != 0 || ::mkdir((dir + "/data").c_str(), 0700) != 0) {
      s = Status::IOError("cannot create " + dir + ": " + std::strerror(errno));
      break;
    }
    s = WriteKeyFile(dir + "/key.json", keys[k - 1]);
    if (s.ok()) s = node::WriteTlsIdentity(tls[k - 1], dir + "/tls-key.pem", dir + "/tls-cert.pem");
    nlohmann::ordered_json cfg = {{"node_id", v.id},
                                  {"genesis", "../genesis.json"},
                                  {"key", "key.json"},
                                  {"tls_key", "tls-key.pem"},
                                  {"tls_cert", "tls-cert.pem"},
                                  {"data_dir", "data"},
                                  {"p2p", v.p2p},
                                  {"http", v.http}};
    if (s.ok()) s = WriteText(dir + "/config.json", cfg.dump(2) + "\n");
  }
  if (!s.ok()) return Fail(s);

  std::printf("testnet: %d node%s, chain %s (%s), in %s\n", n, n == 1 ? "" : "s",
              spec.chain_id.c_str(), HashAlgName(*alg), out.c_str());
  std::printf("  genesis    %s/genesis.json\n  regulator  %s/regulator.json\n", out.c_str(),
              out.c_str());
  for (const auto& v : spec.validators) {
    std::printf("  %-4s http://%s  p2p %s  config %s/%s/config.json\n", v.id.c_str(),
                v.http.c_str(), v.p2p.c_str(), out.c_str(), v.id.c_str());
  }
  std::printf("start each node with: tracenode --config %s/nK/config.json\n", out.c_str());
  return kExitOk;
}

}  // namespace traceledger::cli

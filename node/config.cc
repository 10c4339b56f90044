#include "node/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "genesis/genesis_writer.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/time_util.h"
#include "node/tls_identity.h"

namespace traceledger::node {
namespace {

std::string DirOf(const std::string& path) {
  auto s = path.rfind('/');
  return s == std::string::npos ? "." : path.substr(0, s);
}

std::string Resolve(const std::string& base, const std::string& p) {
  return !p.empty() && p[0] == '/' ? p : base + "/" + p;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Status MakeDirs(const std::string& dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!cur.empty() && ::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
        return Status::IOError("cannot create " + cur + ": " + std::strerror(errno));
      }
    }
    if (i < dir.size()) cur.push_back(dir[i]);
  }
  return Status::OK();
}

Result<NodeOptions> LoadParts(const std::string& genesis_path, const std::string& key_path,
                              const std::string& node_id, const std::string& data_dir) {
  NodeOptions o;
  std::vector<GenesisError> errors;
  auto g = LoadGenesisFile(genesis_path, &errors);
  if (!g.ok()) return Status::Error(g.status().code(), genesis_path + ": " + g.status().message());
  o.genesis = std::move(g).value();
  o.genesis_path = genesis_path;
  auto kp = ReadKeyFile(key_path);
  if (!kp.ok()) return kp.status();
  o.key = *kp;
  o.node_id = node_id;
  o.data_dir = data_dir;
  TL_RETURN_IF_ERROR(MakeDirs(data_dir));
  return o;
}

// Loads the validator's TLS identity when genesis pins one for it (a chain of
// one validator has no peer port and needs none) and checks the pin.
Status LoadTls(NodeOptions& o, const std::string& key_path, const std::string& cert_path) {
  const ValidatorInfo* me = nullptr;
  for (const auto& v : o.genesis.validators) {
    if (v.id == o.node_id) me = &v;
  }
  if (me == nullptr || me->tls_spki_sha256.empty()) return Status::OK();  // Open() reports it
  auto id = LoadTlsIdentity(key_path, cert_path);
  if (!id.ok()) return id.status();
  const auto& pins = me->tls_spki_sha256;
  if (std::find(pins.begin(), pins.end(), id->spki_sha256) == pins.end()) {
    std::string listed;
    for (const auto& p : pins) listed += (listed.empty() ? "" : ", ") + ToHex(p);
    return Status::Error("TLS_PIN_MISMATCH",
                         cert_path + " has pin " + ToHex(id->spki_sha256) + ", but genesis (" +
                             o.genesis_path + ") pins " + listed + " for validator " + o.node_id +
                             ": use the key and certificate whose pin genesis lists "
                             "(tracectl tls-pin --cert FILE prints a certificate's pin)");
  }
  o.tls_key_pem = std::move(id->key_pem);
  o.tls_cert_pem = std::move(id->cert_pem);
  return Status::OK();
}

}  // namespace

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) {
    return Status::Error("CONFIG_INVALID", path + ": " + what);
  };
  if (!doc.is_object()) return bad("not a JSON object");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    static const char* kKnown[] = {"node_id", "genesis", "key",     "data_dir",
                                   "p2p",     "http",    "tls_key", "tls_cert"};
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) return bad("unknown member \"" + it.key() + "\"");
    if (!it->is_string()) return bad("\"" + it.key() + "\" must be a string");
  }
  for (const char* k : {"node_id", "genesis", "key", "data_dir"}) {
    if (!doc.contains(k)) return bad(std::string("missing \"") + k + "\"");
  }
  std::string base = DirOf(path);
  auto o = LoadParts(Resolve(base, doc["genesis"]), Resolve(base, doc["key"]), doc["node_id"],
                     Resolve(base, doc["data_dir"]));
  if (!o.ok()) return o.status();
  NodeConfig c;
  c.options = std::move(o).value();
  TL_RETURN_IF_ERROR(LoadTls(c.options, Resolve(base, doc.value("tls_key", "tls-key.pem")),
                             Resolve(base, doc.value("tls_cert", "tls-cert.pem"))));
  c.options.p2p_listen = doc.value("p2p", "");
  c.http_listen = doc.value("http", "");
  if (c.http_listen.empty()) {
    for (const auto& v : c.options.genesis.validators) {
      if (v.id == c.options.node_id) c.http_listen = v.http;
    }
  }
  return c;
}

Result<NodeConfig> PrepareDevNode(const std::string& dir, const std::string& http_listen_arg) {
  TL_RETURN_IF_ERROR(MakeDirs(dir));
  // Port 0 means "any free port": genesis needs a real one.
  std::string http_listen = http_listen_arg;
  if (http_listen.size() > 2 && http_listen.compare(http_listen.size() - 2, 2, ":0") == 0) {
    http_listen =
        http_listen.substr(0, http_listen.size() - 1) + std::to_string(FreeLoopbackPort());
  }
  std::string genesis_path = dir + "/genesis.json";
  std::string key_path = dir + "/node-key.json";
  struct stat st;
  if (::stat(genesis_path.c_str(), &st) != 0) {
    auto node_key = GenerateKeyPair();
    auto reg_key = GenerateKeyPair();
    if (!node_key.ok()) return node_key.status();
    if (!reg_key.ok()) return reg_key.status();
    GenesisSpec spec;
    spec.chain_id = "zj-trace-dev";
    spec.genesis_time = "2026-01-01T00:00:00Z";
    spec.validators.push_back({"dev", node_key->public_key,
                               "127.0.0.1:" + std::to_string(FreeLoopbackPort()), http_listen});
    spec.regulators.push_back({"浙江省市场监督管理局 (dev)", reg_key->public_key});
    spec.block_max_interval_ms = 50;
    TL_RETURN_IF_ERROR(WriteKeyFile(key_path, *node_key));
    TL_RETURN_IF_ERROR(WriteKeyFile(dir + "/regulator.json", *reg_key));
    std::ofstream out(genesis_path, std::ios::binary | std::ios::trunc);
    out << BuildGenesisJson(spec);
    out.close();
    if (!out) return Status::IOError("cannot write " + genesis_path);
  }
  auto o = LoadParts(genesis_path, key_path, "dev", dir + "/data");
  if (!o.ok()) return o.status();
  NodeConfig c;
  c.options = std::move(o).value();
  c.options.election_ticks = 2;
  c.http_listen = http_listen;
  return c;
}

}  // namespace traceledger::node

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
#include <map>
#include <nlohmann/json.hpp>

#include "genesis/genesis_writer.h"
#include "ledger/hex.h"
#include "ledger/json_file.h"
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

// The configuration is a flat object of short strings.
constexpr size_t kMaxConfigBytes = 64 << 10;
constexpr size_t kMaxConfigValueBytes = 4096;

// host:port with a port of 0..65535 (0: any free port) and a host without
// spaces, slashes or control characters.
bool IsHostPort(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size() || colon + 6 < s.size())
    return false;
  for (size_t i = colon + 1; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  if (std::stoul(s.substr(colon + 1)) > 65535) return false;
  for (size_t i = 0; i < colon; ++i)
    if (static_cast<unsigned char>(s[i]) <= ' ' || s[i] == '/' || s[i] == 0x7f) return false;
  return true;
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
  auto g = LoadGenesisFile(genesis_path, &errors);  // its errors name the file
  if (!g.ok()) return g.status();
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
  nlohmann::json doc;
  // Size checked before reading, strict JSON (UTF-8, no member twice), flat.
  TL_RETURN_IF_ERROR(
      ReadJsonFile(path, JsonLimits{kMaxConfigBytes, /*max_depth=*/1}, "CONFIG_INVALID", &doc));
  const std::string shown = PrintablePath(path);
  auto bad = [&](const std::string& where, const std::string& what) {
    return Status::Error("CONFIG_INVALID", shown + ": " + where + ": " + what);
  };
  if (!doc.is_object()) {
    return bad("$", "must be a JSON object {node_id, genesis, key, data_dir[, p2p, http]}");
  }
  std::map<std::string, std::string> v;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    static const char* kKnown[] = {"node_id", "genesis", "key",     "data_dir",
                                   "p2p",     "http",    "tls_key", "tls_cert"};
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    const std::string where = JsonPathMember("$", it.key());
    if (!known) {
      return bad(
          where,
          "unknown member (known: node_id, genesis, key, data_dir, p2p, http, tls_key, tls_cert)");
    }
    if (!it->is_string()) return bad(where, "must be a string");
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxConfigValueBytes) {
      return bad(where, "must be 1.." + std::to_string(kMaxConfigValueBytes) + " bytes");
    }
    for (unsigned char ch : s) {
      // A NUL would silently cut a path short; no control character belongs in one.
      if (ch < 0x20 || ch == 0x7f) return bad(where, "must not contain control characters");
    }
    v[it.key()] = s;
  }
  for (const char* k : {"node_id", "genesis", "key", "data_dir"}) {
    if (!v.count(k)) return bad(std::string("$.") + k, "missing");
  }
  for (const char* k : {"p2p", "http"}) {
    if (v.count(k) && !IsHostPort(v[k])) {
      return bad(std::string("$.") + k, "must be host:port (port 0..65535)");
    }
  }
  std::string base = DirOf(path);
  auto o = LoadParts(Resolve(base, v["genesis"]), Resolve(base, v["key"]), v["node_id"],
                     Resolve(base, v["data_dir"]));
  if (!o.ok()) return o.status();
  NodeConfig c;
  c.options = std::move(o).value();
  bool validator = false;
  for (const auto& val : c.options.genesis.validators) validator |= val.id == v["node_id"];
  if (!validator) {
    return bad("$.node_id", "\"" + v["node_id"] + "\" is not a validator of the genesis file");
  }
  TL_RETURN_IF_ERROR(LoadTls(c.options,
                             Resolve(base, v.count("tls_key") ? v["tls_key"] : "tls-key.pem"),
                             Resolve(base, v.count("tls_cert") ? v["tls_cert"] : "tls-cert.pem")));
  c.options.p2p_listen = v.count("p2p") ? v["p2p"] : "";
  c.http_listen = v.count("http") ? v["http"] : "";
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

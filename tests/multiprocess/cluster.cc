#include "cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "contracts/ids.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/time_util.h"
#include "node/config.h"
#include "tools/api_client.h"

namespace traceledger::mp {

using nlohmann::json;

namespace {

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// fork + exec with output appended to `log`; the child dies with the parent.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out >= 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
  }
  if (in >= 0) ::dup2(in, 0);
  // Unblock the signals the test may have blocked.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

// Waits for pid to exit (up to timeout_ms); its exit code, or -1 on timeout.
int Reap(pid_t pid, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int st = 0;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& log) {
  return Spawn(argv, log);
}

int RunProgram(const std::vector<std::string>& argv, const std::string& log, int timeout_ms) {
  return WaitProgram(Spawn(argv, log), timeout_ms);
}

int WaitProgram(pid_t pid, int timeout_ms) {
  if (pid < 0) return -1;
  int rc = Reap(pid, timeout_ms);
  if (rc == -1) {
    ::kill(pid, SIGKILL);
    Reap(pid, 5000);
  }
  return rc;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tl-mp-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  path_ = ::mkdtemp(buf.data()) ? buf.data() : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty() && !std::getenv("TL_KEEP_TMP")) std::filesystem::remove_all(path_, ec);
}

Cluster::Cluster(std::string dir, int nodes, HashAlg alg)
    : dir_(std::move(dir)), nodes_(nodes), alg_(alg) {}

Cluster::~Cluster() {
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] > 0) {
      ::kill(pids_[i], SIGKILL);
      Reap(pids_[i], 5000);
    }
  }
}

Status Cluster::Create() {
  if (nodes_ == 0) {
    urls_.push_back("http://127.0.0.1:" + std::to_string(node::FreeLoopbackPort()));
    p2p_ports_.push_back(0);  // a single validator opens no peer port
    pids_.push_back(0);
    return Status::OK();
  }
  int rc = RunProgram({TRACECTL_BIN, "testnet", "--nodes", std::to_string(nodes_), "--out",
                       dir_ + "/net", "--hash", HashAlgName(alg_)},
                      dir_ + "/testnet.log", 20000);
  if (rc != 0) {
    return Status::Error("TESTNET", "tracectl testnet exited " + std::to_string(rc) + ": " +
                                        ReadAll(dir_ + "/testnet.log"));
  }
  std::string genesis = ReadAll(dir_ + "/net/genesis.json");
  json g = json::parse(genesis, nullptr, false);
  if (!g.is_object()) return Status::Error("TESTNET", "cannot read the testnet genesis");
  chain_id_ = g["chain_id"];
  std::string h = Hash(alg_, genesis);
  for (int k = 0; k < 4; ++k) chain_tag_ = (chain_tag_ << 8) | static_cast<unsigned char>(h[k]);
  for (const auto& v : g["validators"]) {
    urls_.push_back("http://" + v["http"].get<std::string>());
    std::string p2p = v["p2p"];
    p2p_ports_.push_back(static_cast<uint16_t>(std::atoi(p2p.substr(p2p.rfind(':') + 1).c_str())));
    pids_.push_back(0);
  }
  auto reg = ReadKeyFile(dir_ + "/net/regulator.json");
  if (!reg.ok()) return reg.status();
  regulator_ = *reg;
  return Status::OK();
}

std::string Cluster::node_dir(int i) const {
  if (nodes_ == 0) return dir_ + "/dev";
  return dir_ + "/net/n" + std::to_string(i + 1);
}

uint64_t Cluster::RssKb(int i) const {
  if (pids_[i] <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pids_[i]) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

bool Cluster::Alive(int i) {
  if (pids_[i] <= 0) return false;
  int st = 0;
  if (::waitpid(pids_[i], &st, WNOHANG) == pids_[i]) {
    pids_[i] = 0;
    return false;
  }
  return true;
}

std::string Cluster::data_dir(int i) const {
  if (nodes_ == 0) return dir_ + "/dev/data";
  return dir_ + "/net/n" + std::to_string(i + 1) + "/data";
}

std::string Cluster::log_path(int i) const {
  if (nodes_ == 0) return dir_ + "/dev.log";
  return dir_ + "/net/n" + std::to_string(i + 1) + "/node.log";
}

Status Cluster::Start(int i) {
  if (pids_[i] > 0) return Status::InvalidArgument("node already running");
  // TL_TRACENODE_BIN runs the tests against another build (e.g. to see a
  // regression test fail on the code before its fix).
  const char* other = std::getenv("TL_TRACENODE_BIN");
  const std::string bin = other && *other ? other : TRACENODE_BIN;
  std::vector<std::string> argv;
  if (nodes_ == 0) {
    argv = {bin, "--dev", "--data", dir_ + "/dev", "--http", urls_[0].substr(7)};
  } else {
    argv = {bin, "--config", dir_ + "/net/n" + std::to_string(i + 1) + "/config.json"};
  }
  argv.insert(argv.end(), node_args_.begin(), node_args_.end());
  pid_t pid = Spawn(argv, log_path(i));
  if (pid < 0) return Status::IOError("cannot fork");
  pids_[i] = pid;
  // Wait until it answers HTTP (or exits).
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      pids_[i] = 0;
      return Status::Error("NODE_EXITED", "node " + std::to_string(i) + " exited: " + LogTail(i));
    }
    if (cli::GetJson(urls_[i], "/v1/status", 1000).ok()) {
      if (nodes_ == 0 && regulator_.public_key.empty()) {
        auto reg = ReadKeyFile(dir_ + "/dev/regulator.json");
        if (!reg.ok()) return reg.status();
        regulator_ = *reg;
        json g = json::parse(ReadAll(dir_ + "/dev/genesis.json"), nullptr, false);
        chain_id_ = g.value("chain_id", "");
      }
      return Status::OK();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Error("NODE_SLOW", "node " + std::to_string(i) + " did not answer in 20 s");
}

Status Cluster::Stop(int i, int sig, int timeout_ms) {
  if (pids_[i] <= 0) return Status::OK();
  ::kill(pids_[i], sig);
  int rc = Reap(pids_[i], timeout_ms);
  if (rc == -1) {
    ::kill(pids_[i], SIGKILL);
    Reap(pids_[i], 5000);
    pids_[i] = 0;
    return Status::Error("STOP_TIMEOUT", "node " + std::to_string(i) + " ignored signal " +
                                             std::to_string(sig) + "; killed");
  }
  pids_[i] = 0;
  if (sig == SIGTERM && rc != 0) {
    return Status::Error("BAD_EXIT", "node " + std::to_string(i) + " exited " + std::to_string(rc) +
                                         " on SIGTERM: " + LogTail(i));
  }
  return Status::OK();
}

Result<int> Cluster::WaitForLeader(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last = "no node answered";
  while (Clock::now() < deadline) {
    int leader = -1;
    bool agree = true;
    std::string leader_id;
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      auto st = cli::GetJson(urls_[i], "/v1/status", 1000);
      if (!st.ok()) {
        agree = false;
        last = st.status().ToString();
        continue;
      }
      std::string l = (*st)["leader"].is_string() ? (*st)["leader"].get<std::string>() : "";
      if (l.empty() || (!leader_id.empty() && l != leader_id)) agree = false;
      leader_id = l;
      if ((*st)["role"] == "leader") leader = i;
      last = st->dump();
    }
    if (agree && leader >= 0) return leader;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Error(
      "NO_LEADER", "no agreed leader within " + std::to_string(timeout_ms) + " ms; last: " + last);
}

uint64_t Cluster::Height(int i) {
  auto st = cli::GetJson(urls_[i], "/v1/status", 1000);
  if (!st.ok() || !(*st)["height"].is_number_unsigned()) return 0;
  return (*st)["height"].get<uint64_t>();
}

Status Cluster::WaitForHeight(uint64_t height, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    std::string heights;
    bool all = true;
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      uint64_t h = Height(i);
      heights += " n" + std::to_string(i + 1) + "=" + std::to_string(h);
      all = all && h >= height;
    }
    if (all) return Status::OK();
    if (Clock::now() >= deadline) {
      return Status::Error(
          "BEHIND", "not every node reached height " + std::to_string(height) + ":" + heights);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status Cluster::CompareBlocks(uint64_t max_height) {
  for (uint64_t h = 0; h <= max_height; ++h) {
    std::string first;
    for (int i = 0; i < size(); ++i) {
      if (!running(i)) continue;
      auto b = cli::GetJson(urls_[i], "/v1/blocks/" + std::to_string(h));
      if (!b.ok()) return b.status();
      std::string hash = (*b)["block_hash"];
      if (first.empty()) first = hash;
      if (hash != first) {
        return Status::Error("DIVERGED", "block " + std::to_string(h) + " differs: node " +
                                             std::to_string(i) + " has " + hash + ", another " +
                                             first);
      }
    }
  }
  return Status::OK();
}

Result<std::string> Cluster::EnrollEnvelope(int n) {
  auto kp = GenerateKeyPair();
  if (!kp.ok()) return kp.status();
  std::string digits = std::to_string(n % 10000000);
  std::string first17 = "91330100MA" + std::string(7 - digits.size(), '0') + digits;
  nlohmann::ordered_json p;
  p["chain_id"] = chain_id_;
  p["type"] = "registry.enroll";
  p["nonce"] = "mp-" + std::to_string(n) + "-" + std::to_string(++nonce_);
  p["time"] = FormatRfc3339Millis(WallMillis());
  p["body"] = {{"uscc", first17 + UsccCheckChar(first17)},
               {"name", "Enterprise " + std::to_string(n)},
               {"roles", {"warehouse"}},
               {"public_key", ToHex(kp->public_key)},
               {"region", "330100"}};
  return SignEnvelope(regulator_.private_key, p.dump(), alg());
}

Result<std::string> Cluster::Envelope(const KeyPair* key, const std::string& type,
                                      const nlohmann::json& body) {
  nlohmann::ordered_json p;
  p["chain_id"] = chain_id_;
  p["type"] = type;
  p["nonce"] = "mp-" + type + "-" + std::to_string(++nonce_);
  p["time"] = FormatRfc3339Millis(WallMillis() - 1000);
  p["body"] = body;
  return SignEnvelope((key ? *key : regulator_).private_key, p.dump(), alg());
}

Status Cluster::Signal(int i, int sig) {
  if (pids_[i] <= 0) return Status::Error("NOT_RUNNING", "node " + std::to_string(i));
  if (::kill(pids_[i], sig) != 0) {
    return Status::IOError("kill(" + std::to_string(pids_[i]) + "): " + std::strerror(errno));
  }
  if (sig != SIGSTOP) return Status::OK();
  // /proc/PID/task/*/stat: "TID (comm) STATE ...", STATE 'T' once stopped.
  const std::string tasks = "/proc/" + std::to_string(pids_[i]) + "/task";
  for (int tries = 0; tries < 500; ++tries) {
    bool all = true;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream in(t.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), {});
      size_t close = stat.rfind(')');
      all = all && close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T';
    }
    if (!ec && all) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Error("NOT_STOPPED", "node " + std::to_string(i) + " did not stop within 5 s");
}

Result<std::string> Cluster::SubmitOk(int node, const std::string& envelope) {
  cli::SubmitOptions o;
  o.hash = alg();
  o.wait_ms = 5000;
  o.deadline_ms = 30000;
  o.max_retries = 20;
  auto r = cli::SubmitEnvelope(urls_[node], envelope, o);
  if (!r.ok()) return r.status();
  if (r->kind != cli::SubmitOutcome::kOk) {
    return Status::Error("NOT_OK", std::string(cli::KindName(r->kind)) + " " + r->code + ": " +
                                       r->message + " after " + std::to_string(r->attempts) +
                                       " attempt(s)");
  }
  return r->tx_id;
}

std::string Cluster::LogTail(int i) const {
  std::string log = ReadAll(log_path(i));
  size_t pos = log.size();
  for (int lines = 0; lines < 15 && pos > 0; ++lines) {
    pos = log.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
  }
  return log.substr(pos);
}

}  // namespace traceledger::mp

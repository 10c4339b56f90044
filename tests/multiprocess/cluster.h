// Multi-process test harness: real tracenode processes on loopback, started
// from a `tracectl testnet` directory (or --dev), driven over their HTTP API.
//
// Every child gets PR_SET_PDEATHSIG=SIGKILL and the destructor kill -9s what is
// still running, so no node outlives its test, even when the test fails or the
// test binary dies. Waits poll with deadlines; nothing sleeps for long.
#ifndef TRACELEDGER_TESTS_MULTIPROCESS_CLUSTER_H_
#define TRACELEDGER_TESTS_MULTIPROCESS_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/status.h"

namespace traceledger::mp {

using Clock = std::chrono::steady_clock;

// Runs a program to completion (at most timeout_ms), output to `log`. Returns
// the exit code, or -1 if it could not run or timed out (then it is killed).
int RunProgram(const std::vector<std::string>& argv, const std::string& log, int timeout_ms);

// Starts a program in the background (output to `log`; it dies with the test).
pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& log);
// Waits for a spawned program; its exit code, or -1 on timeout (then killed).
int WaitProgram(pid_t pid, int timeout_ms);

// Reads a whole file ("" if it cannot).
std::string ReadAll(const std::string& path);

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Cluster {
 public:
  // `nodes` validators from `tracectl testnet` in dir, or (nodes == 0) one
  // `tracenode --dev` node with its data in dir.
  Cluster(std::string dir, int nodes, HashAlg alg = HashAlg::kSha256);
  ~Cluster();  // kill -9 every running node
  Status Create();

  int size() const { return static_cast<int>(urls_.size()); }
  const std::string& url(int i) const { return urls_[i]; }
  std::string data_dir(int i) const;
  std::string log_path(int i) const;
  bool running(int i) const { return pids_[i] > 0; }
  pid_t pid(int i) const { return pids_[i]; }  // 0 when not running
  // Arguments added to every tracenode started from now on (e.g. --http-limit).
  void set_node_args(std::vector<std::string> args) { node_args_ = std::move(args); }

  Status Start(int i);
  // Sends `sig` and reaps the process (waits up to timeout_ms, then SIGKILL).
  Status Stop(int i, int sig, int timeout_ms = 15000);

  // Polls until the running nodes agree on a leader; returns its index.
  Result<int> WaitForLeader(int timeout_ms);
  // Polls until every running node's height is >= height.
  Status WaitForHeight(uint64_t height, int timeout_ms);
  uint64_t Height(int i);  // 0 if unreachable
  // Compares block_hash at every height 0..max across the running nodes.
  Status CompareBlocks(uint64_t max_height);

  // A signed registry.enroll of a new enterprise (a regulator transaction).
  Result<std::string> EnrollEnvelope(int n);
  // A transaction of `type` with `body`, signed by `key` (the regulator's
  // when null), with a fresh nonce and the time now.
  Result<std::string> Envelope(const KeyPair* key, const std::string& type,
                               const nlohmann::json& body);
  // Sends `sig` to node i (SIGSTOP, SIGCONT: pause and resume it; Stop is for
  // ending it). For SIGSTOP, returns once the kernel shows the process stopped
  // (every thread; at most 5 s): a stop takes effect asynchronously, and a test
  // that pauses a validator must not go on while it still runs.
  Status Signal(int i, int sig);
  // Submits with ?wait=commit (following NO_LEADER); OK only for an ok receipt.
  // Returns the tx id (hex).
  Result<std::string> SubmitOk(int node, const std::string& envelope);

  // The peer port of node i (from genesis), the directory of its files
  // (config, keys, TLS key and certificate, data), its process id (0 when not
  // running), its resident memory in kB (/proc VmRSS; 0 if unknown), and the
  // chain tag peers send in their hello (the genesis hash's first 4 bytes).
  uint16_t p2p_port(int i) const { return p2p_ports_[i]; }
  std::string node_dir(int i) const;
  uint64_t RssKb(int i) const;
  // True if node i's process is still running (reaps it when it has exited).
  bool Alive(int i);
  uint32_t chain_tag() const { return chain_tag_; }

  const std::string& chain_id() const { return chain_id_; }
  const KeyPair& regulator() const { return regulator_; }
  HashAlg alg() const { return alg_; }
  const std::string& dir() const { return dir_; }
  // The last lines of node i's log, for failure messages.
  std::string LogTail(int i) const;

 private:
  std::string dir_;
  int nodes_;
  HashAlg alg_;
  std::vector<std::string> urls_;
  std::vector<pid_t> pids_;
  std::vector<uint16_t> p2p_ports_;
  uint32_t chain_tag_ = 0;
  std::vector<std::string> node_args_;
  std::string chain_id_;
  KeyPair regulator_;
  int nonce_ = 0;
};

}  // namespace traceledger::mp

#endif  // TRACELEDGER_TESTS_MULTIPROCESS_CLUSTER_H_

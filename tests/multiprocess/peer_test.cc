// The peer port of real tracenode processes (docs/node.md, "Peer transport"):
// a node that does not hold the TLS identity genesis pins for its id cannot
// take part, and a node refuses to start without its pinned identity.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "assert_ok.h"
#include "cluster.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "node/tls_identity.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Replaces the first occurrence of `from` with `to` (which must be there).
std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

Result<nlohmann::json> Status(const Cluster& c, int i) {
  return cli::GetJson(c.url(i), "/v1/status", 2000);
}

// An impostor runs tracenode as validator n3 — n3's id, addresses and even its
// validator key — but with a TLS identity genesis does not pin for n3 (its own
// copy of genesis pins it, or it would not start). n1 and n2 neither accept
// its connections nor connect to it; it learns nothing of the chain; the real
// n3 joins once the impostor is gone.
TEST(MultiProcessPeers, AnImpostorWithAnotherCertificateCannotJoin) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  ASSERT_OK(c.Start(0));
  ASSERT_OK(c.Start(1));
  ASSERT_TRUE(c.WaitForLeader(20000).ok());

  std::string imp = tmp.path() + "/impostor";
  std::filesystem::create_directories(imp + "/data");
  auto fake = node::GenerateTlsIdentity("n3");
  ASSERT_TRUE(fake.ok());
  ASSERT_OK(node::WriteTlsIdentity(*fake, imp + "/tls-key.pem", imp + "/tls-cert.pem"));
  auto real_pin = node::CertificatePin(ReadAll(c.node_dir(2) + "/tls-cert.pem"));
  ASSERT_TRUE(real_pin.ok());
  WriteText(imp + "/genesis.json", Replace(ReadAll(c.dir() + "/net/genesis.json"), ToHex(*real_pin),
                                           ToHex(fake->spki_sha256)));
  auto key = ReadKeyFile(c.node_dir(2) + "/key.json");
  ASSERT_TRUE(key.ok());
  ASSERT_OK(WriteKeyFile(imp + "/key.json", *key));
  std::string cfg = ReadAll(c.node_dir(2) + "/config.json");
  WriteText(imp + "/config.json", Replace(cfg, "\"../genesis.json\"", "\"genesis.json\""));
  pid_t pid = SpawnProgram({TRACENODE_BIN, "--config", imp + "/config.json"}, imp + "/node.log");
  ASSERT_GT(pid, 0);
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = Status(c, 2).ok();
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << ReadAll(imp + "/node.log");

  // The real network goes on committing while the impostor keeps trying.
  for (int n = 1; n <= 5; ++n) {
    auto env = c.EnrollEnvelope(n);
    ASSERT_TRUE(env.ok());
    ASSERT_TRUE(c.SubmitOk(n % 2, *env).ok()) << c.LogTail(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto st = Status(c, 2);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["height"], 0) << st->dump();
  EXPECT_TRUE((*st)["leader"].is_null() || (*st)["leader"] == "") << st->dump();
  for (const auto& p : (*st)["peers"]) EXPECT_FALSE(p["connected"].get<bool>()) << st->dump();
  for (int i = 0; i < 2; ++i) {
    auto s = Status(c, i);
    ASSERT_TRUE(s.ok());
    for (const auto& p : (*s)["peers"]) {
      if (p["id"] == "n3") EXPECT_FALSE(p["connected"].get<bool>()) << s->dump();
    }
    // Its dials are refused, and dialling n3's address reaches someone who is
    // not n3 (the log lines may come a little later on a loaded machine).
    const std::string refused = "before any frame: its TLS certificate (pin " +
                                ToHex(fake->spki_sha256) + ") is not pinned in genesis";
    std::string log;
    for (int tries = 0; tries < 150; ++tries) {
      log = ReadAll(c.log_path(i));
      if (log.find(refused) != std::string::npos &&
          log.find("cannot connect to peer 3") != std::string::npos &&
          log.find("it is not validator 3") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(log.find("before any frame: its TLS certificate (pin " + ToHex(fake->spki_sha256) +
                       ") is not pinned in genesis"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("cannot connect to peer 3"), std::string::npos) << log;
    EXPECT_NE(log.find("it is not validator 3"), std::string::npos) << log;
  }
  ::kill(pid, SIGTERM);
  EXPECT_EQ(WaitProgram(pid, 15000), 0);

  ASSERT_OK(c.Start(2));
  uint64_t h = c.Height(0);
  ASSERT_OK(c.WaitForHeight(h, 20000));
  ASSERT_OK(c.CompareBlocks(h));
}

// The node refuses to start (exit 1, a message naming the file and the fix)
// when its TLS files are not the identity genesis pins for it.
TEST(MultiProcessPeers, ANodeRefusesToStartWithoutItsPinnedIdentity) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  std::string n3 = c.node_dir(2), n2 = c.node_dir(1);
  auto run = [&](const char* expect) {
    std::string log = tmp.path() + "/start.log";
    std::filesystem::remove(log);
    int rc = RunProgram({TRACENODE_BIN, "--config", n3 + "/config.json"}, log, 20000);
    std::string out = ReadAll(log);
    EXPECT_EQ(rc, 1) << out;
    EXPECT_NE(out.find(expect), std::string::npos) << out;
  };
  std::filesystem::rename(n3 + "/tls-key.pem", n3 + "/saved-key.pem");
  std::filesystem::rename(n3 + "/tls-cert.pem", n3 + "/saved-cert.pem");
  run("TLS_KEY_MISSING");
  std::filesystem::copy_file(n2 + "/tls-key.pem", n3 + "/tls-key.pem");
  std::filesystem::copy_file(n2 + "/tls-cert.pem", n3 + "/tls-cert.pem");
  run("TLS_PIN_MISMATCH");
  std::filesystem::remove(n3 + "/tls-key.pem");
  std::filesystem::remove(n3 + "/tls-cert.pem");
  std::filesystem::rename(n3 + "/saved-key.pem", n3 + "/tls-key.pem");
  std::filesystem::rename(n3 + "/saved-cert.pem", n3 + "/tls-cert.pem");
  ::chmod((n3 + "/tls-key.pem").c_str(), 0644);
  run("TLS_KEY_PERMISSIONS");
  ::chmod((n3 + "/tls-key.pem").c_str(), 0600);
  ASSERT_OK(c.Start(2));  // and with its own files it starts
}

}  // namespace
}  // namespace traceledger::mp

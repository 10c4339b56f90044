// Fuzz target: the node's configuration file (node/config.h,
// docs/operations.md), with the genesis and key files it names.
//
// Input: the bytes of config.json, written into a directory that also holds
// a real genesis (genesis.json) and a key file (key.json). The configuration
// may name any of the three files as genesis or key, so the genesis and key
// file readers see fuzzed bytes too. Inputs holding a '/' (also escaped) are
// skipped: the loader creates data_dir, and a fuzzer must not create
// directories outside its own.
//
// Oracle: nothing throws or overflows the stack; an error message is valid
// UTF-8; an accepted configuration's genesis parses, its data_dir exists.
#include <filesystem>
#include <fstream>

#include "fuzz.h"
#include "ledger/key_file.h"
#include "ledger/keys.h"
#include "ledger/utf8.h"
#include "node/config.h"

namespace traceledger::fuzz {
namespace {

const std::string& Dir() {
  static const std::string dir = [] {
    std::string d = TempDir("config");
    std::ofstream(d + "/genesis.json", std::ios::binary) << ReadDataFile("genesis.json");
    auto kp = KeyPairFromPrivate(Hash(HashAlg::kSha256, "traceledger config fuzz key"));
    FUZZ_CHECK(kp.ok() && WriteKeyFile(d + "/key.json", *kp).ok(), "cannot write key.json");
    return d;
  }();
  return dir;
}

bool MayEscape(std::string_view s) {
  if (s.find('/') != std::string_view::npos || s.find("\\/") != std::string_view::npos) return true;
  for (size_t i = 0; i + 6 <= s.size(); ++i) {
    std::string_view u = s.substr(i, 6);
    if (u == "\\u002f" || u == "\\u002F") return true;
  }
  return false;
}

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (MayEscape(text)) return 0;
  const std::string& dir = Dir();
  {
    std::ofstream f(dir + "/config.json", std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  auto c = node::LoadNodeConfig(dir + "/config.json");
  if (!c.ok()) {
    FUZZ_CHECK(!c.status().code().empty(), "an error without a code");
    FUZZ_CHECK(IsValidUtf8(c.status().message()),
               "the message is not valid UTF-8: " + SanitizeUtf8(c.status().message()));
  } else {
    FUZZ_CHECK(!c->options.genesis.validators.empty(), "a configuration without a genesis");
    std::error_code ec;
    FUZZ_CHECK(std::filesystem::is_directory(c->options.data_dir, ec),
               "data_dir " + c->options.data_dir + " was not created");
  }
  // Start the next input from the three files alone.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name != "genesis.json" && name != "key.json" && name != "config.json")
      std::filesystem::remove_all(e.path(), ec);
  }
  return 0;
}

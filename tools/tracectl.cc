// tracectl: the command-line tool for keys, envelopes, hashes, chain checks and
// benchmarks. Run `tracectl help` for the list.
#include <cstdio>
#include <cstring>
#include <exception>

#include "ledger/utf8.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* usage;
};

const Command kCommands[] = {
    {"keygen", traceledger::cli::CmdKeygen,
     "keygen [--out FILE]                      new key pair {private_key, public_key} "
     "(file mode 0600)"},
    {"sign", traceledger::cli::CmdSign,
     "sign --key FILE --payload FILE|- [--hash sha256|sm3]   print the signed envelope"},
    {"verify", traceledger::cli::CmdVerify,
     "verify --envelope FILE|- [--hash sha256|sm3]           print the tx id, or the error code"},
    {"hash", traceledger::cli::CmdHash,
     "hash --alg sha256|sm3 [FILE|-]           print the hex digest"},
    {"verify-chain", traceledger::cli::CmdVerifyChain,
     "verify-chain --data DIR [--hash sha256|sm3]  re-check every block of a stopped node's store"},
    {"testnet", traceledger::cli::CmdTestnet,
     "testnet --nodes N --out DIR [--hash sha256|sm3] [--chain-id ID]   a local network on "
     "loopback"},
    {"tls-keygen", traceledger::cli::CmdTlsKeygen,
     "tls-keygen --out DIR [--name ID]        a validator's TLS key and certificate "
     "(DIR/tls-key.pem, DIR/tls-cert.pem); prints the pin for genesis"},
    {"tls-pin", traceledger::cli::CmdTlsPin,
     "tls-pin --cert FILE|-                   print a certificate's pin (tls_spki_sha256)"},
    {"submit", traceledger::cli::CmdSubmit,
     "submit --node URL [--wait] [--hash H] FILE|- ...   post envelopes; exit 1 if any is "
     "not ok"},
    {"status", traceledger::cli::CmdStatus,
     "status --node URL [--wait-leader SECONDS] [--field NAME]   a node's /v1/status"},
    {"get", traceledger::cli::CmdGet,
     "get --node URL PATH [--field NAME]       print a GET answer (e.g. /v1/blocks/latest)"},
    {"demo-load", traceledger::cli::CmdDemoLoad,
     "demo-load --node URL --regulator FILE [--chain-id ID] [--hash H] [--keys DIR]   play the "
     "demo histories"},
    {"verify-trace", traceledger::cli::CmdVerifyTrace,
     "verify-trace --genesis FILE [ANSWER.json|-]  check a /v1/trace answer offline"},
    {"bench-crypto", traceledger::cli::CmdBenchCrypto,
     "bench-crypto [--seconds S]               crypto throughput on one core"},
};

void PrintHelp(FILE* out) {
  std::fprintf(out, "usage: tracectl COMMAND [flags]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %s\n", c.usage);
  std::fprintf(out, "\nexit codes: 0 ok, 1 failed (the message says why), 2 usage error\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help")) {
    PrintHelp(argc < 2 ? stderr : stdout);
    return argc < 2 ? traceledger::cli::kExitUsage : 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name)) continue;
    // Commands report errors as values; this is the last line of defence, so
    // that an input nobody foresaw gives a message and exit 1, never an abort.
    try {
      return c.run(argc - 2, argv + 2);
    } catch (const std::exception& e) {
      return traceledger::cli::Fail(traceledger::Status::Error(
          "INTERNAL", std::string("unexpected error in ") + c.name + ": " +
                          traceledger::SanitizeUtf8(traceledger::Utf8Prefix(e.what(), 512))));
    } catch (...) {
      return traceledger::cli::Fail(
          traceledger::Status::Error("INTERNAL", std::string("unexpected error in ") + c.name));
    }
  }
  return traceledger::cli::Usage(std::string("unknown command '") + argv[1] + "'");
}

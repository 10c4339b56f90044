// tracectl tls-keygen --out DIR [--name ID]: a validator's TLS identity for the
// peer port (docs/operations.md, "TLS keys and certificates"):
//
//   DIR/tls-key.pem     the Ed25519 private key (PKCS#8 PEM, mode 0600)
//   DIR/tls-cert.pem    its self-signed certificate (mode 0644)
//
// and prints the pin to put in genesis as the validator's "tls_spki_sha256".
// tracectl tls-pin --cert FILE prints the pin of an existing certificate (one
// made with other tools, or to check a node's files against genesis).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ledger/hex.h"
#include "node/tls_identity.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace traceledger::cli {

int CmdTlsKeygen(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"out", "name"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("out")) return Usage("tls-keygen needs --out DIR");
  std::string dir = args->Get("out");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (::mkdir(dir.c_str(), 0700) != 0) {
      return Fail(Status::IOError("cannot create " + dir + ": " + std::strerror(errno)));
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Fail(Status::Error("OUT_EXISTS", dir + " exists and is not a directory"));
  }
  auto id = node::GenerateTlsIdentity(args->Get("name", "node"));
  if (!id.ok()) return Fail(id.status());
  std::string key = dir + "/tls-key.pem", cert = dir + "/tls-cert.pem";
  Status s = node::WriteTlsIdentity(*id, key, cert);
  if (!s.ok()) return Fail(s);
  std::printf("%s\n", ToHex(id->spki_sha256).c_str());
  std::fprintf(stderr,
               "tls-keygen: wrote %s (keep it private) and %s\n"
               "  put the pin above in genesis as this validator's \"tls_spki_sha256\", and\n"
               "  the two files in its node configuration as \"tls_key\" and \"tls_cert\"\n",
               key.c_str(), cert.c_str());
  return kExitOk;
}

int CmdTlsPin(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"cert"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("cert")) return Usage("tls-pin needs --cert FILE");
  // The size is checked before the file is read.
  auto text = ReadInput(args->Get("cert"), node::kMaxTlsFileBytes, "TLS_INVALID");
  if (!text.ok()) return Fail(text.status());
  auto pin = node::CertificatePin(*text);
  if (!pin.ok())
    return Fail(
        Status::Error(pin.status().code(), args->Get("cert") + ": " + pin.status().message()));
  std::printf("%s\n", ToHex(*pin).c_str());
  return kExitOk;
}

}  // namespace traceledger::cli

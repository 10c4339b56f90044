// tracectl keygen | sign | verify | hash.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/json_file.h"
#include "ledger/key_file.h"
#include "ledger/keys.h"
#include "ledger/utf8.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace traceledger::cli {

using nlohmann::json;

namespace {

// `s` with the name of the input it is about in front of its message.
Status About(const std::string& path, const Status& s) {
  return Status::Error(s.code(),
                       (path == "-" ? "standard input" : PrintablePath(path)) + ": " + s.message());
}

// A file of any size, hashed as it is read (or standard input for "-").
Result<std::string> HashFile(HashAlg alg, const std::string& path) {
  const bool in = path == "-";
  int fd = in ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return Status::IOError("cannot open " + PrintablePath(path) + ": " + std::strerror(errno));
  Hasher h(alg);
  struct stat st;
  Status s;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    s = Status::IOError(PrintablePath(path) + " is a directory, not a file");
  }
  static char buf[1 << 16];
  while (s.ok()) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      s = Status::IOError("cannot read " + PrintablePath(path) + ": " + std::strerror(errno));
    if (n <= 0) break;
    h.Update(std::string_view(buf, static_cast<size_t>(n)));
  }
  if (!in) ::close(fd);
  if (!s.ok()) return s;
  return h.Final();
}

}  // namespace

int CmdKeygen(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"out"}, {});
  if (!args.ok()) return Usage(args.status().message());
  auto kp = GenerateKeyPair();
  if (!kp.ok()) return Fail(kp.status());
  std::string text = KeyFileJson(*kp);
  if (args->Has("out")) {
    Status s = WriteKeyFile(args->Get("out"), *kp);
    if (!s.ok()) return Fail(s);
    std::printf("%s\n", ToHex(kp->public_key).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
  return kExitOk;
}

int CmdSign(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"key", "payload", "hash"}, {});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("key") || !args->Has("payload")) return Usage("sign needs --key and --payload");
  auto alg = HashFlag(*args);
  if (!alg.ok()) return Usage(alg.status().message());
  auto kp = ReadKeyFile(args->Get("key"));
  if (!kp.ok()) return Fail(kp.status());
  const std::string file = args->Get("payload");
  auto payload = ReadInput(file, kMaxPayloadBytes, "PAYLOAD_TOO_LARGE");
  if (!payload.ok()) return Fail(payload.status());
  if (size_t bad = FirstInvalidUtf8(*payload); bad != std::string::npos) {
    return Fail(About(file, Status::Error("PAYLOAD_MALFORMED_JSON",
                                          "the payload is not UTF-8 text (byte " +
                                              std::to_string(bad) + " starts no character)")));
  }
  auto env = SignEnvelope(kp->private_key, *payload, *alg);
  if (!env.ok()) return Fail(About(file, env.status()));
  // Refuse to hand out an envelope the ledger would refuse.
  auto check = ParseEnvelope(*env, *alg);
  if (!check.ok()) return Fail(About(file, check.status()));
  std::printf("%s\n", env->c_str());
  return kExitOk;
}

int CmdVerify(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"envelope", "hash"}, {});
  if (!args.ok()) return Usage(args.status().message());
  auto alg = HashFlag(*args);
  if (!alg.ok()) return Usage(alg.status().message());
  std::string path = args->Get("envelope", args->positional.empty() ? "-" : args->positional[0]);
  // The envelope limit, and room for a line ending (not part of the envelope).
  auto text = ReadInput(path, kMaxEnvelopeBytes + 2, "ENVELOPE_TOO_LARGE");
  if (!text.ok()) return Fail(text.status());
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  auto env = ParseEnvelope(*text, *alg);
  if (!env.ok()) return Fail(About(path, env.status()));
  std::printf("%s\n", ToHex(env->tx_id).c_str());
  return kExitOk;
}

int CmdHash(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"alg"}, {});
  if (!args.ok()) return Usage(args.status().message());
  auto alg = HashFlag(*args, "alg");
  if (!alg.ok()) return Usage(alg.status().message());
  // Any size: hashed while it is read, never held whole.
  auto digest = HashFile(*alg, args->positional.empty() ? "-" : args->positional[0]);
  if (!digest.ok()) return Fail(digest.status());
  std::printf("%s\n", ToHex(*digest).c_str());
  return kExitOk;
}

}  // namespace traceledger::cli

#include "ledger/key_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/hex.h"

namespace traceledger {

Result<KeyPair> ReadKeyFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  auto doc = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("private_key") || !doc["private_key"].is_string()) {
    return Status::Error("KEY_FILE_INVALID",
                         path + " is not a key file: expected {\"private_key\", \"public_key\"}");
  }
  auto kp = ParsePrivateKeyHex(doc["private_key"].get<std::string>());
  if (!kp.ok()) return Status::Error(kp.status().code(), path + ": " + kp.status().message());
  if (doc.contains("public_key") && doc["public_key"] != ToHex(kp->public_key)) {
    return Status::Error("KEY_FILE_INVALID", path + ": public_key does not belong to private_key");
  }
  return kp;
}

std::string KeyFileJson(const KeyPair& kp) {
  nlohmann::ordered_json doc = {{"private_key", ToHex(kp.private_key)},
                                {"public_key", ToHex(kp.public_key)}};
  return doc.dump(2) + "\n";
}

Status WriteKeyFile(const std::string& path, const KeyPair& kp) {
  return WritePrivateFile(path, KeyFileJson(kp));
}

Status WritePrivateFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IOError("cannot create " + path + ": " + std::strerror(errno) +
                           (errno == EEXIST ? " (refusing to overwrite an existing file)" : ""));
  }
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::IOError("cannot sync " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace traceledger

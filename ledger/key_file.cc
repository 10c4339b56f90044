#include "ledger/key_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ledger/hex.h"
#include "ledger/json_file.h"

namespace traceledger {

Result<KeyPair> ReadKeyFile(const std::string& path) {
  nlohmann::json doc;
  // A flat object of two short strings; the size is checked before reading.
  TL_RETURN_IF_ERROR(
      ReadJsonFile(path, JsonLimits{kMaxKeyFileBytes, /*max_depth=*/1}, "KEY_FILE_INVALID", &doc));
  const std::string shown = PrintablePath(path);
  auto bad = [&](const std::string& what) {
    return Status::Error("KEY_FILE_INVALID", shown + ": " + what);
  };
  if (!doc.is_object()) return bad("not a key file: expected {\"private_key\", \"public_key\"}");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "private_key" && it.key() != "public_key") {
      return bad(JsonPathMember("$", it.key()) +
                 ": unknown member (a key file holds private_key and public_key)");
    }
    if (!it->is_string()) return bad("$." + it.key() + ": must be a string of hex characters");
  }
  auto priv = doc.find("private_key");
  if (priv == doc.end()) return bad("$.private_key: missing");
  auto kp = ParsePrivateKeyHex(priv->get_ref<const std::string&>());
  if (!kp.ok()) {
    return Status::Error(kp.status().code(), shown + ": $.private_key: " + kp.status().message());
  }
  auto pub = doc.find("public_key");
  if (pub != doc.end() && pub->get_ref<const std::string&>() != ToHex(kp->public_key)) {
    return bad("$.public_key does not belong to private_key");
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

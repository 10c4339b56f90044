#include "ledger/json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ledger/utf8.h"

namespace traceledger {

std::string PrintablePath(std::string_view path) {
  std::string p = SanitizeUtf8(Utf8Prefix(path, 256));
  if (path.size() > 256) p += "...";
  return p;
}

std::string JsonPathMember(std::string_view parent, std::string_view name) {
  std::string_view cut = Utf8Prefix(name, 64);
  bool plain = !cut.empty();
  for (char c : cut) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-');
  }
  std::string out(parent);
  std::string shown = SanitizeUtf8(cut) + (cut.size() < name.size() ? "..." : "");
  if (plain && cut.size() == name.size()) return out + "." + shown;
  return out + "[" + DumpJson(nlohmann::json(shown)) + "]";
}

Result<std::string> ReadFileLimited(const std::string& path, size_t max_bytes,
                                    std::string_view code) {
  const std::string shown = PrintablePath(path);
  const bool stdin_input = path == "-";
  int fd = stdin_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::IOError("cannot open " + shown + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    bool own;
    ~Closer() {
      if (own) ::close(fd);
    }
  } closer{fd, !stdin_input};
  const std::string name = stdin_input ? "standard input" : shown;
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return Status::IOError("cannot stat " + name + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Status::IOError(name + " is a directory, not a file");
  const std::string limit = "; the limit is " + std::to_string(max_bytes) + " bytes";
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::Error(std::string(code), name + " is " +
                                                std::to_string(static_cast<uint64_t>(st.st_size)) +
                                                " bytes" + limit + " (nothing was read)");
  }
  std::string out;
  // A regular file's size is known; a pipe or device is read until it ends or
  // passes the limit.
  out.reserve(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0);
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + name + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return Status::Error(std::string(code), name + " holds more than the limit of " +
                                                  std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

Status ReadJsonFile(const std::string& path, const JsonLimits& limits, std::string_view code,
                    nlohmann::json* out, std::string* text) {
  auto bytes = ReadFileLimited(path, limits.max_bytes, code);
  if (!bytes.ok()) return bytes.status();
  const std::string name = path == "-" ? "standard input" : PrintablePath(path);
  if (bytes->empty()) {
    return Status::Error(std::string(code), name + " is empty (0 bytes), not a JSON document");
  }
  Status s = ParseJson(*bytes, limits, name, "JSON", out);
  if (!s.ok()) return Status::Error(std::string(code), s.message());
  if (text) *text = std::move(bytes).value();
  return Status::OK();
}

}  // namespace traceledger

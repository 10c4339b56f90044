#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "fuzz.h"

namespace traceledger::fuzz {

void CheckFailed(const char* file, int line, const char* cond, const std::string& message) {
  std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: %s\n", file, line, cond, message.c_str());
  std::fflush(stderr);
  std::abort();
}

std::string ReadDataFile(const std::string& name) {
  std::string path = std::string(TRACELEDGER_FUZZ_DATA) + "/" + name;
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f) CheckFailed(__FILE__, __LINE__, "readable", "cannot read the fuzz data file " + path);
  return ss.str();
}

namespace {
std::mutex dirs_mu;
std::vector<std::string>* dirs = nullptr;
void RemoveDirs() {
  std::lock_guard<std::mutex> l(dirs_mu);
  for (const auto& d : *dirs) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}
}  // namespace

std::string TempDir(const std::string& tag) {
  // /dev/shm when there is one: the targets that open LevelDB stores stay off the disk.
  std::filesystem::path base = std::filesystem::exists("/dev/shm")
                                   ? std::filesystem::path("/dev/shm")
                                   : std::filesystem::temp_directory_path();
  std::filesystem::path dir = base / ("tl-fuzz-" + tag + "-" + std::to_string(::getpid()));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  std::lock_guard<std::mutex> l(dirs_mu);
  if (!dirs) {
    dirs = new std::vector<std::string>;
    std::atexit(RemoveDirs);
  }
  dirs->push_back(dir.string());
  return dir.string();
}

}  // namespace traceledger::fuzz

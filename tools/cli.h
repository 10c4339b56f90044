// Small helpers shared by tracectl's commands: flag parsing, file I/O, errors.
#ifndef TRACELEDGER_TOOLS_CLI_H_
#define TRACELEDGER_TOOLS_CLI_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger::cli {

// Exit codes of every tracectl command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the check failed / the input is wrong
inline constexpr int kExitUsage = 2;   // the command line is wrong

// Parsed "--name value" flags (and "--name" switches) plus positionals.
struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  std::string Get(const std::string& f, const std::string& def = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? def : it->second;
  }
};

// `switches` are flags without a value. Unknown flags are an error.
Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& with_value,
                       const std::vector<std::string>& switches);

// Reads a command's number flags (`def` when absent), keeping the first error,
// which names the flag: "--answers is a whole number; got \"abc\"".
class NumberFlags {
 public:
  explicit NumberFlags(const Args& a) : a_(a) {}
  // A whole number (at most 18 digits, no sign).
  uint64_t Count(const char* name, uint64_t def);
  // A finite decimal number.
  double Real(const char* name, double def);
  const Status& status() const { return status_; }

 private:
  void Bad(const char* name, const char* what, const std::string& v);
  const Args& a_;
  Status status_;
};

// Reads a whole file, or standard input when path is "-", if it holds at most
// max_bytes (a file's size is checked before it is read: ledger/json_file.h).
// Errors name the file: IO_ERROR (cannot read it, a directory), `code` (too
// large).
Result<std::string> ReadInput(const std::string& path, size_t max_bytes, const char* code);

// --hash sha256|sm3 (default sha256).
Result<HashAlg> HashFlag(const Args& args, const char* flag = "hash");

// Prints "tracectl: CODE: message" to stderr and returns kExitFailed.
int Fail(const Status& s);
// Prints a usage error and returns kExitUsage.
int Usage(const std::string& message);

}  // namespace traceledger::cli

#endif  // TRACELEDGER_TOOLS_CLI_H_

#include "tools/cli.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ledger/json_file.h"

namespace traceledger::cli {

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& with_value,
                       const std::vector<std::string>& switches) {
  Args args;
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      std::string value;
      bool has_inline = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      if (in(switches, name)) {
        args.flags[name] = "1";
      } else if (in(with_value, name)) {
        if (!has_inline) {
          if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
          value = argv[++i];
        }
        args.flags[name] = value;
      } else {
        return Status::InvalidArgument("unknown flag --" + name);
      }
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

Result<std::string> ReadInput(const std::string& path, size_t max_bytes, const char* code) {
  return ReadFileLimited(path, max_bytes, code);
}

Result<HashAlg> HashFlag(const Args& args, const char* flag) {
  std::string name = args.Get(flag, "sha256");
  auto alg = ParseHashAlg(name);
  if (!alg) return Status::InvalidArgument("--" + std::string(flag) + " must be sha256 or sm3");
  return *alg;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "tracectl: %s\n", s.ToString().c_str());
  return kExitFailed;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "tracectl: %s (see 'tracectl help')\n", message.c_str());
  return kExitUsage;
}

uint64_t NumberFlags::Count(const char* name, uint64_t def) {
  if (!a_.Has(name)) return def;
  const std::string v = a_.Get(name);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    Bad(name, "a whole number", v);
    return def;
  }
  return std::strtoull(v.c_str(), nullptr, 10);
}

double NumberFlags::Real(const char* name, double def) {
  if (!a_.Has(name)) return def;
  const std::string v = a_.Get(name);
  char* end = nullptr;
  double d = v.empty() ? 0 : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d)) {
    Bad(name, "a number", v);
    return def;
  }
  return d;
}

void NumberFlags::Bad(const char* name, const char* what, const std::string& v) {
  if (status_.ok()) {
    status_ =
        Status::InvalidArgument(std::string("--") + name + " is " + what + "; got \"" + v + "\"");
  }
}

}  // namespace traceledger::cli

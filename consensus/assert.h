// RAFT_ASSERT: an invariant check that stays on in Release builds. On failure it
// prints the file, line, condition and a message, then aborts the process: a
// broken consensus invariant means the replica can no longer be trusted, and
// continuing could fork the ledger. Keep the checked conditions cheap.
//
// Thread-safety: stateless.
#ifndef TRACELEDGER_CONSENSUS_ASSERT_H_
#define TRACELEDGER_CONSENSUS_ASSERT_H_

#include <string>

namespace traceledger::raft {

[[noreturn]] void AssertFailed(const char* file, int line, const char* cond,
                               const std::string& message);

}  // namespace traceledger::raft

// `message` is any expression convertible to std::string; it is evaluated only
// when the check fails.
#define RAFT_ASSERT(cond, message)                                             \
  do {                                                                         \
    if (__builtin_expect(!(cond), 0)) {                                        \
      ::traceledger::raft::AssertFailed(__FILE__, __LINE__, #cond, (message)); \
    }                                                                          \
  } while (0)

#endif  // TRACELEDGER_CONSENSUS_ASSERT_H_

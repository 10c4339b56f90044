// What the benchmark programs measure besides wall time (bench_contracts,
// bench_trace_answers): the CPU time of the calling thread — the machine may
// be shared, so wall time overstates the cost of the work — and the process's
// peak resident memory.
//
// Thread-safety: both read only the calling thread's or process's counters.
#ifndef TRACELEDGER_TOOLS_BENCH_CLOCK_H_
#define TRACELEDGER_TOOLS_BENCH_CLOCK_H_

#include <sys/resource.h>
#include <time.h>

namespace traceledger::bench {

// Seconds of CPU this thread has used.
inline double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Peak resident set size of the process, in KiB.
inline long PeakRssKb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace traceledger::bench

#endif  // TRACELEDGER_TOOLS_BENCH_CLOCK_H_

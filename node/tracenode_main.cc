// tracenode: the program each bureau runs. The node runtime (Raft, transport,
// mempool, apply loop, HTTP API) is not built yet; this binary says so plainly
// instead of pretending to run.
#include <cstdio>

int main() {
  std::fprintf(stderr,
               "tracenode: the node runtime is not built yet (see README, 'What works today').\n");
  return 2;
}

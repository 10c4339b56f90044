// Compiled by the layering test with only the ledger layer's include root: it
// must fail, because ledger/ may not include from the layers above it.
#include "ledger/status.h"
#include UPWARD_HEADER

int main() { return 0; }

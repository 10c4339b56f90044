// tracectl verify-trace --genesis FILE [ANSWER.json|-]: checks a GET
// /v1/trace/{code} answer offline (tools/trace_verify.h, docs/api.md "Trace").
#include <cstdio>

#include "genesis/genesis.h"
#include "ledger/json_file.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/trace_verify.h"

namespace traceledger::cli {

int CmdVerifyTrace(int argc, char** argv) {
  auto args = ParseArgs(argc, argv, {"genesis"}, {"quiet"});
  if (!args.ok()) return Usage(args.status().message());
  if (!args->Has("genesis")) return Usage("verify-trace needs --genesis FILE");
  if (args->positional.size() > 1) return Usage("verify-trace takes one answer file (or -)");
  auto g = LoadGenesisFile(args->Get("genesis"));
  if (!g.ok()) return Fail(g.status());
  const std::string file = args->positional.empty() ? "-" : args->positional[0];
  auto text = ReadInput(file, kMaxTraceAnswerBytes, "ANSWER_TOO_LARGE");
  if (!text.ok()) return Fail(text.status());
  TraceVerifyReport rep = VerifyTraceAnswer(*g, *text);
  if (!rep.ok()) {
    std::fprintf(stderr, "verify-trace: FAILED: %s: %s\n",
                 file == "-" ? "standard input" : PrintablePath(file).c_str(),
                 rep.status.ToString().c_str());
    return kExitFailed;
  }
  if (rep.lot_answer) {
    std::printf("verify-trace: ok: lot %s on chain %s (%s)\n", rep.lot.c_str(), g->chain_id.c_str(),
                HashAlgName(g->hash_alg));
  } else {
    std::printf("verify-trace: ok: code %s on chain %s (%s)\n", rep.code.c_str(),
                g->chain_id.c_str(), HashAlgName(g->hash_alg));
    std::printf(
        "  events: %llu of %llu%s: each signed by its actor, included in its block's "
        "tx_root, with an \"ok\" receipt in receipts_root\n",
        static_cast<unsigned long long>(rep.events),
        static_cast<unsigned long long>(rep.event_count),
        rep.complete ? " (complete)" : " (a page: earlier/later events not checked)");
    std::printf("  per-code chain head: %s%s\n", rep.head.c_str(),
                rep.complete ? " (recomputed over every event)" : "");
  }
  if (rep.has_lot) {
    std::printf("  lot %s events: %llu of %llu%s; lot chain head: %s\n", rep.lot.c_str(),
                static_cast<unsigned long long>(rep.lot_events),
                static_cast<unsigned long long>(rep.lot_event_count),
                rep.lot_complete ? " (complete)" : " (a page)", rep.lot_head.c_str());
  }
  if (!args->Has("quiet")) {
    for (const auto& b : rep.blocks) {
      std::string who;
      for (const auto& v : b.attested_by) who += (who.empty() ? "" : ", ") + v;
      std::printf("  block %llu: header hash recomputed; attested by %zu of %zu validators (%s)\n",
                  static_cast<unsigned long long>(b.height), b.attested_by.size(),
                  g->validators.size(), who.c_str());
    }
  }
  if (rep.lot_answer) {
    std::printf(
        "  the codes' statuses and the other summary fields are the node's reading (not "
        "checked offline); each code's own events: verify its GET /v1/trace/{code}\n");
  } else {
    std::printf(
        "  status \"%s\" and the other summary fields are the node's reading of these "
        "events (not checked offline)\n",
        rep.item_status.c_str());
  }
  // Each receipt commits to its event's chain, number and head, so the events
  // shown are proven to be these chains' events with none left out between
  // them; a later event can only be shown by a node (docs/api.md, "What is
  // proved").
  std::printf(
      "  each event is proven to be that event of this %s's chain, none left out before the "
      "last one shown; that no event follows it is the node's word (ask another validator's "
      "node for the same code to compare)\n",
      rep.lot_answer ? "lot" : "code");
  return kExitOk;
}

}  // namespace traceledger::cli

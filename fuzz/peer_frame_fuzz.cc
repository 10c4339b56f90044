// Fuzz target: what a validator does with the frames its peers send
// (node/node_core.h NodeCore::OnFrame: the PeerFrame protobuf, the Raft
// message codec, forwarded envelopes, attestations, block requests and block
// batches; docs/node.md, "Peer transport").
//
// A fresh NodeCore of validator n1 of a fixed three-validator network
// (fuzz/peer_world.h) is opened on an empty directory in /dev/shm for every
// input, so an input replays exactly.
//
// Input: up to 64 frames, each
//   byte: bit 0 the sender (n2 or n3), bit 1 a Raft tick before the frame
//   u16be: the frame's length (cut to what is left)
//   the frame's bytes
// After each frame the core processes (Process: Raft's output is persisted,
// sent, applied).
//
// Oracle: nothing crashes; every frame the core sends back decodes as a
// PeerFrame (a Raft message in it decodes too); the core does not stop
// (Process never fails on a healthy disk).
//
// The peers are taken to be validators that are wrong but not lying: a frame
// may be anything a network or a buggy peer makes of it, but a Raft message
// that decodes and contradicts what the peers already told this node — two
// entries of one index and term with different data, an entry replacing a
// committed one, a second leader of this node's own term — is skipped. Raft
// stops a node that receives one of those on purpose (RAFT_ASSERT,
// consensus/assert.h: it proves the cluster broke Raft's safety, and going on
// could fork the ledger); only an authenticated validator can send one
// (docs/testing.md, "What the targets do not count").
//
// Not here: the TCP framing and hello (node/transport.cc), which are being
// rebuilt on TLS.
#include <filesystem>
#include <map>

#include "consensus/codec.h"
#include "fuzz.h"
#include "node.pb.h"
#include "node/node_core.h"
#include "peer_world.h"

namespace traceledger::fuzz {
namespace {

// The entries the cluster is known to hold: what appends told this node and
// what it appended itself as a leader (seen in its own appends to peers).
struct Shadow {
  std::map<uint64_t, std::pair<uint64_t, std::string>> entries;  // index -> (term, data)

  void Learn(const raft::Message& m) {
    for (const auto& e : m.entries) {
      auto it = entries.find(e.index);
      if (it != entries.end() && it->second.first != e.term)
        entries.erase(it, entries.end());  // a conflict truncates the rest
      entries[e.index] = {e.term, e.data};
    }
  }
  // False if `m` would be a lie about what was said before.
  bool Consistent(const raft::Message& m, uint64_t committed) const {
    for (const auto& e : m.entries) {
      auto it = entries.find(e.index);
      if (it == entries.end()) continue;
      if (it->second.first == e.term && it->second.second != e.data) return false;
      if (it->second.first != e.term && e.index <= committed) return false;
    }
    return true;
  }
};

class FuzzEnv : public node::CoreEnv {
 public:
  int64_t now = 0;
  Shadow* shadow = nullptr;
  int64_t NowMillis() override { return now; }
  bool Send(uint64_t to, std::string frame) override {
    FUZZ_CHECK(to >= 1 && to <= 3, "a frame sent to an unknown peer");
    pb::PeerFrame f;
    FUZZ_CHECK(f.ParseFromString(frame), "the node sent a frame that does not decode");
    if (f.has_raft()) {
      auto m = raft::DecodeMessage(f.raft());
      FUZZ_CHECK(m.ok(),
                 "the node sent a Raft message that does not decode: " + m.status().ToString());
      if (m->type == raft::MessageType::kApp) shadow->Learn(*m);
    }
    return true;
  }
  uint64_t Seed() override { return 7; }
};

// Whether a correct (if wrong) peer could send this frame to `core`.
bool Honest(const std::string& frame, const node::NodeCore& core, Shadow* shadow) {
  pb::PeerFrame f;
  if (!f.ParseFromString(frame) || !f.has_raft()) return true;
  auto m = raft::DecodeMessage(f.raft());
  if (!m.ok()) return true;  // dropped by the node
  node::NodeStatus st = core.GetStatus();
  bool leads = m->type == raft::MessageType::kApp || m->type == raft::MessageType::kHeartbeat ||
               m->type == raft::MessageType::kSnap;
  if (leads && st.role == "leader" && m->term == st.term) return false;
  if (m->type != raft::MessageType::kApp) return true;
  if (!shadow->Consistent(*m, st.commit_index)) return false;
  shadow->Learn(*m);
  return true;
}

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  static const std::string base = TempDir("peer");
  const PeerWorld& w = PeerWorld::Get();
  std::string dir = base + "/n1";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  Shadow shadow;
  FuzzEnv env;
  env.shadow = &shadow;
  env.now = w.genesis.genesis_time_ms + 60000;
  auto core = node::NodeCore::Open(w.Options(0, dir), &env);
  FUZZ_CHECK(core.ok(), "cannot open the node: " + core.status().ToString());
  Input in(data, size);
  for (int i = 0; i < 64 && !in.empty(); ++i) {
    uint8_t head = in.Byte();
    size_t len = in.U16();
    std::string_view rest = in.Rest();
    std::string frame(rest.substr(0, len));
    in = Input(rest.substr(frame.size()));
    uint64_t from = 2 + (head & 1);
    if (head & 2) {
      env.now += 100;
      (*core)->Tick();
    }
    if (!Honest(frame, **core, &shadow)) continue;
    (*core)->OnFrame(from, frame);
    FUZZ_CHECK((*core)->Process(), "the node stopped");
  }
  return 0;
}

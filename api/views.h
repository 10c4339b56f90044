// Supervision views (DESIGN.md §7; docs/api.md, "Supervision views"):
//   GET /v1/enterprises/{uscc}  the registry record, what it holds (paged)
//   GET /v1/products/{code}     the product and its lots (paged)
//   GET /v1/recalls/{id}        scope, progress, the holders that still owe a
//                               response and the codes they owe (paged)
//   GET /v1/alerts              filtered by type, status, category, region and
//                               time, paged with a cursor
// Every read goes through a key or a key prefix of the contracts' state
// (contracts/state.h); each list has a limit and a cursor, and paging out of
// range is a 400 BAD_PAGING.
//
// Thread-safety: reads only the node's thread-safe state.
#ifndef TRACELEDGER_API_VIEWS_H_
#define TRACELEDGER_API_VIEWS_H_

#include <cstddef>

#include "api/http_server.h"
#include "node/node.h"

namespace traceledger::api {

inline constexpr size_t kDefaultViewPage = 100;
inline constexpr size_t kMaxViewPage = 1000;
inline constexpr size_t kDefaultAlertPage = 50;
inline constexpr size_t kMaxAlertPage = 500;
// Alert records one /v1/alerts request examines at most; when filters skip
// this many, the answer carries a cursor to continue from.
inline constexpr size_t kMaxAlertScan = 10000;

// Answers the view routes and returns true; false for any other path.
bool HandleViewRoute(node::Node* node, const HttpRequest& req, HttpResponse* out);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_VIEWS_H_

// The pages the node serves itself (docs/api.md, "Pages"): the cockpit at "/",
// the public trace page at "/t/{code}", their scripts and styles, ECharts, and
// the OpenAPI document at "/openapi.json". The files live in web/ and are
// embedded into the binary at build time (api/CMakeLists.txt, .incbin), so a
// node needs no internet and no files beside it.
//
// Caching: HTML answers "no-cache" (always revalidated); scripts, styles and
// ECharts may be cached; every answer carries a strong ETag of its bytes and
// a matching If-None-Match gets 304.
//
// Thread-safety: read-only data; safe from any thread.
#ifndef TRACELEDGER_API_PAGES_H_
#define TRACELEDGER_API_PAGES_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "api/http_server.h"

namespace traceledger::api {

struct WebAsset {
  const char* name;          // "cockpit.html", "echarts.min.js", ...
  const char* content_type;  // "text/html", ...: text/* is served with "; charset=utf-8"
  const unsigned char* begin;
  const unsigned char* end;
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(begin), static_cast<size_t>(end - begin)};
  }
};

// The embedded asset named `name`, or nullptr (generated: web_assets.cc).
const WebAsset* FindWebAsset(std::string_view name);

// The answer for a page route ("/", "/t/{code}", "/assets/{name}",
// "/openapi.json", "/favicon.ico"); nullopt if `req.path` is not one.
std::optional<HttpResponse> ServePage(const HttpRequest& req);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_PAGES_H_

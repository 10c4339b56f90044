#include "api/pages.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace traceledger::api {
namespace {

constexpr size_t kMaxCodeBytes = 256;  // a trace code in "/t/{code}"

// FNV-1a 64 over the bytes, computed once per asset.
std::string ETagOf(const WebAsset& a) {
  static std::mutex mu;
  static std::map<const WebAsset*, std::string> cache;
  std::lock_guard<std::mutex> l(mu);
  auto it = cache.find(&a);
  if (it != cache.end()) return it->second;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : a.bytes()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%016llx-%zu\"", static_cast<unsigned long long>(h),
                a.bytes().size());
  return cache[&a] = buf;
}

HttpResponse Asset(const HttpRequest& req, const WebAsset& a, const char* cache_control) {
  HttpResponse r;
  std::string etag = ETagOf(a);
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", cache_control);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  std::string_view name(a.name);
  if (name.size() > 5 && name.substr(name.size() - 5) == ".html") {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; script-src 'self'; style-src 'self' "
                           "'unsafe-inline'; img-src 'self' data:; connect-src 'self'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  r.content_type = a.content_type;
  if (r.content_type.rfind("text/", 0) == 0) r.content_type += "; charset=utf-8";
  auto inm = req.headers.find("if-none-match");
  if (inm != req.headers.end() && inm->second == etag) {
    r.status = 304;
    return r;
  }
  r.body.assign(a.bytes());
  return r;
}

}  // namespace

std::optional<HttpResponse> ServePage(const HttpRequest& req) {
  const std::string& p = req.path;
  const WebAsset* a = nullptr;
  const char* cache = "no-cache";
  if (p == "/") {
    a = FindWebAsset("cockpit.html");
  } else if (p.rfind("/t/", 0) == 0) {
    std::string code = p.substr(3);
    if (code.empty() || code.size() > kMaxCodeBytes) {
      return JsonError(404, "NOT_FOUND",
                       "a trace page is /t/{code} with a code of 1.." +
                           std::to_string(kMaxCodeBytes) + " bytes");
    }
    a = FindWebAsset("trace.html");  // the page reads the code from its URL
  } else if (p == "/openapi.json") {
    a = FindWebAsset("openapi.json");
  } else if (p == "/favicon.ico") {
    a = FindWebAsset("favicon.svg");
    cache = "public, max-age=86400";
  } else if (p.rfind("/assets/", 0) == 0) {
    std::string name = p.substr(8);
    a = FindWebAsset(name);
    if (!a || name.find(".html") != std::string::npos) {
      return JsonError(404, "NOT_FOUND", "no such asset: " + name);
    }
    cache = name == "echarts.min.js" ? "public, max-age=86400" : "public, max-age=300";
  } else {
    return std::nullopt;
  }
  if (req.method != "GET") {
    HttpResponse r = JsonError(405, "METHOD_NOT_ALLOWED",
                               req.method + " is not allowed on " + p + "; use GET or HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (!a) return JsonError(500, "ASSET_MISSING", "the page was not built into this binary");
  return Asset(req, *a, cache);
}

}  // namespace traceledger::api

// Input files the node and tracectl read — genesis, the node configuration,
// key files, envelopes, payloads, trace answers — read with a size limit that
// is checked before the file is read, and parsed with the one strict JSON
// parser (ledger/json_parse.h: size, depth, duplicate members, UTF-8).
//
// Messages name the file (its path, made printable) and, where the parser can
// tell, the byte offset or the JSON path of the mistake.
//
// Thread-safety: pure functions (they read files).
#ifndef TRACELEDGER_LEDGER_JSON_FILE_H_
#define TRACELEDGER_LEDGER_JSON_FILE_H_

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "ledger/json_parse.h"
#include "ledger/status.h"

namespace traceledger {

// Reads all of `path` ("-": standard input) if it holds at most max_bytes. A
// regular file's size is checked with fstat before anything is read (a 10 GB
// file costs one system call, not 10 GB of memory); a pipe or device is read
// up to max_bytes + 1 bytes. Errors:
//   IO_ERROR  it cannot be opened or read (the system's reason), or it is a
//             directory
//   `code`    it is larger than max_bytes
Result<std::string> ReadFileLimited(const std::string& path, size_t max_bytes,
                                    std::string_view code);

// ReadFileLimited(path, limits.max_bytes, code), then ParseJson under `limits`
// into *out; *text (if given) receives the file's bytes. Errors: IO_ERROR as
// above; `code` when the file is too large, empty, not JSON (or not UTF-8),
// nested deeper than limits.max_depth, or has a member twice in one object.
Status ReadJsonFile(const std::string& path, const JsonLimits& limits, std::string_view code,
                    nlohmann::json* out, std::string* text = nullptr);

// `path` made printable for a message (bytes that are not UTF-8 become U+FFFD,
// cut to 256 bytes).
std::string PrintablePath(std::string_view path);

// The JSON path of member `name` of the value at `parent` ("$.params"), for
// messages: parent + ".name" for names of [A-Za-z0-9_-], else parent +
// "[\"...\"]" with the name escaped; names are cut to 64 bytes ("...").
std::string JsonPathMember(std::string_view parent, std::string_view name);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_JSON_FILE_H_

// Key files: {"private_key": "<64 hex>", "public_key": "<66 hex>"}, written
// with mode 0600 and never over an existing file (tracectl keygen, tracenode).
#ifndef TRACELEDGER_LEDGER_KEY_FILE_H_
#define TRACELEDGER_LEDGER_KEY_FILE_H_

#include <string>

#include "ledger/keys.h"
#include "ledger/status.h"

namespace traceledger {

inline constexpr size_t kMaxKeyFileBytes = 4096;

// Reads a key file (at most kMaxKeyFileBytes, checked before reading; strict
// JSON, ledger/json_file.h). Errors name the file: IO_ERROR (cannot read it, a
// directory), KEY_FILE_INVALID (too large, not JSON, not the format: a member
// that is not a string, an unknown member, no private key, or a public key
// that does not belong to the private key), and the private key's parse
// errors.
Result<KeyPair> ReadKeyFile(const std::string& path);
// The file's JSON text.
std::string KeyFileJson(const KeyPair& kp);
// Writes KeyFileJson(kp) with mode 0600, synced. IO_ERROR if the file exists.
Status WriteKeyFile(const std::string& path, const KeyPair& kp);
// Creates `path` with mode 0600 and `content`, refusing to replace a file.
Status WritePrivateFile(const std::string& path, const std::string& content);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_KEY_FILE_H_

// Test clients for the peer port (node/transport.h): raw TCP connections and a
// blocking TLS 1.3 client that presents a chosen identity (or none), for the
// transport unit tests and the multi-process hostile suite. Tests only.
#ifndef TRACELEDGER_TESTS_NODE_PEER_CLIENT_H_
#define TRACELEDGER_TESTS_NODE_PEER_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "node/tls_identity.h"

namespace traceledger::node::testing {

// A blocking TCP connection to 127.0.0.1:port from source address `from`
// (any 127.x.y.z works on Linux loopback). -1 on failure.
int ConnectTcp(uint16_t port, const std::string& from = "127.0.0.1");
// Writes everything (MSG_NOSIGNAL); false if the peer closed.
bool SendAll(int fd, std::string_view bytes);
// True when the other side closed the connection (EOF or reset) within ms;
// whatever arrives meanwhile (a TLS alert) is read and discarded.
bool WaitClosed(int fd, int ms);
// The peer hello "TLP2" | u64be id | u32be chain tag.
std::string Hello(uint64_t id, uint32_t chain_tag, std::string_view magic = "TLP2");
// u32be length.
std::string Length(uint32_t n);
// The bytes of a real TLS 1.3 ClientHello (made by OpenSSL into memory).
std::string SampleClientHello();
// A fresh P-256 key and self-signed certificate (as a bureau's own tools would
// make them).
TlsIdentity P256Identity();

// One TLS client connection. Not thread-safe.
class TlsClient {
 public:
  // `id` null: present no client certificate. max_version: 0x0304 (TLS 1.3) or
  // 0x0303 (TLS 1.2 only, which the node must refuse).
  explicit TlsClient(const TlsIdentity* id, int max_version = 0x0304);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // TCP connect and TLS handshake (blocking, at most timeout_ms). False, with
  // error() saying why, if either fails. Note that in TLS 1.3 the client's
  // handshake completes before the server has checked the client's
  // certificate: a refused client learns it from WaitClosed.
  bool Connect(uint16_t port, int timeout_ms = 5000, const std::string& from = "127.0.0.1");
  // SSL_write of everything; false if the connection failed.
  bool Write(std::string_view bytes);
  // True if the server closed the connection (alert, close_notify, EOF,
  // reset) within ms.
  bool WaitClosed(int ms);
  // The pin of the certificate the server presented ("" before a handshake).
  const std::string& server_pin() const { return server_pin_; }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }

 private:
  void* ctx_ = nullptr;  // SSL_CTX*
  void* ssl_ = nullptr;  // SSL*
  int fd_ = -1;
  std::string server_pin_;
  std::string error_;
};

}  // namespace traceledger::node::testing

#endif  // TRACELEDGER_TESTS_NODE_PEER_CLIENT_H_

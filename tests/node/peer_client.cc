#include "peer_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "ledger/hash.h"

namespace traceledger::node::testing {
namespace {

void IgnoreSigpipe() {
  static bool once = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)once;
}

void SetTimeouts(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  char buf[256] = "no OpenSSL error queued";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

int ConnectTcp(uint16_t port, const std::string& from) {
  IgnoreSigpipe();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  if (::inet_pton(AF_INET, from.c_str(), &src.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool WaitClosed(int fd, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return true;  // reset
  }
}

std::string Length(uint32_t n) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, n >>= 8) s[i] = static_cast<char>(n & 0xff);
  return s;
}

std::string Hello(uint64_t id, uint32_t chain_tag, std::string_view magic) {
  std::string s(magic);
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>((id >> (8 * i)) & 0xff));
  return s + Length(chain_tag);
}

std::string SampleClientHello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  (void)SSL_do_handshake(ssl);  // wants to read: the ClientHello is in `out`
  char* data = nullptr;
  long n = BIO_get_mem_data(out, &data);
  std::string hello(data, n > 0 ? static_cast<size_t>(n) : 0);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return hello;
}

TlsIdentity P256Identity() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  BIO* kb = BIO_new(BIO_s_mem());
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(cb, cert);
  char* d = nullptr;
  long n = BIO_get_mem_data(kb, &d);
  std::string k(d, n);
  n = BIO_get_mem_data(cb, &d);
  std::string c(d, n);
  BIO_free(kb);
  BIO_free(cb);
  X509_free(cert);
  EVP_PKEY_free(key);
  auto id = ParseTlsIdentity(k, c);
  return id.ok() ? *id : TlsIdentity{};
}

TlsClient::TlsClient(const TlsIdentity* id, int max_version) {
  IgnoreSigpipe();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, max_version == TLS1_3_VERSION ? TLS1_3_VERSION : 0);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (id != nullptr) {
    BIO* kb = BIO_new_mem_buf(id->key_pem.data(), static_cast<int>(id->key_pem.size()));
    BIO* cb = BIO_new_mem_buf(id->cert_pem.data(), static_cast<int>(id->cert_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    if (key == nullptr || cert == nullptr || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1) {
      error_ = "cannot load the client identity: " + OpenSslError();
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(kb);
    BIO_free(cb);
  }
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(static_cast<SSL*>(ssl_));
  if (ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
  if (fd_ >= 0) ::close(fd_);
  ERR_clear_error();
}

bool TlsClient::Connect(uint16_t port, int timeout_ms, const std::string& from) {
  if (!error_.empty()) return false;
  fd_ = ConnectTcp(port, from);
  if (fd_ < 0) {
    error_ = "cannot connect";
    return false;
  }
  SetTimeouts(fd_, timeout_ms);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  ssl_ = ssl;
  SSL_set_fd(ssl, fd_);
  if (SSL_connect(ssl) != 1) {
    error_ = "TLS handshake failed: " + OpenSslError();
    SSL_free(ssl);
    ssl_ = nullptr;  // WaitClosed watches the socket itself
    return false;
  }
  if (X509* cert = SSL_get0_peer_certificate(ssl)) {
    unsigned char* der = nullptr;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (n > 0) {
      server_pin_ =
          Hash(HashAlg::kSha256, std::string_view(reinterpret_cast<const char*>(der), size_t(n)));
    }
    OPENSSL_free(der);
  }
  return true;
}

bool TlsClient::Write(std::string_view bytes) {
  if (ssl_ == nullptr) return false;
  size_t off = 0;
  while (off < bytes.size()) {
    int chunk = static_cast<int>(std::min<size_t>(bytes.size() - off, 1 << 20));
    int n = SSL_write(static_cast<SSL*>(ssl_), bytes.data() + off, chunk);
    if (n <= 0) {
      error_ = "write failed: " + OpenSslError();
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool TlsClient::WaitClosed(int ms) {
  if (ssl_ == nullptr) return fd_ < 0 || testing::WaitClosed(fd_, ms);
  SSL* ssl = static_cast<SSL*>(ssl_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) return false;
    if (SSL_pending(ssl) == 0) {
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, left);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
    }
    SetTimeouts(fd_, std::max(1, left));
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n > 0) continue;  // the node never writes data on this connection; ignore
    int err = SSL_get_error(ssl, n);
    ERR_clear_error();
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
    if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    return true;  // close_notify, an alert, EOF or reset
  }
}

}  // namespace traceledger::node::testing

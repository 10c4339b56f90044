// OpenSSL: key generation, self-signed certificates, pins (node/tls_identity.h).
#include "node/tls_identity.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "ledger/hash.h"
#include "ledger/key_file.h"

namespace traceledger::node {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

// The first queued OpenSSL error as text (and the queue cleared, so that a
// later TLS operation on this thread does not see it).
std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown OpenSSL error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

Status Invalid(const std::string& what) {
  ERR_clear_error();
  return Status::Error("TLS_INVALID", what);
}

// Never ask for a passphrase (OpenSSL would prompt on the terminal).
int NoPassphrase(char*, int, int, void*) { return 0; }

std::string BioText(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Result<std::string> PinOf(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (n <= 0) return Invalid("cannot encode the certificate's public key: " + OpenSslError());
  std::string pin =
      Hash(HashAlg::kSha256, std::string_view(reinterpret_cast<const char*>(der), size_t(n)));
  OPENSSL_free(der);
  return pin;
}

Ptr<X509> ReadCert(std::string_view pem) {
  Ptr<BIO> b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!b) return nullptr;
  return Ptr<X509>(PEM_read_bio_X509(b.get(), nullptr, NoPassphrase, nullptr));
}

// Ed25519, or EC on P-256.
bool AllowedKeyType(EVP_PKEY* k, std::string* name) {
  int id = EVP_PKEY_get_base_id(k);
  if (id == EVP_PKEY_ED25519) {
    *name = "Ed25519";
    return true;
  }
  if (id == EVP_PKEY_EC) {
    char group[64] = "";
    size_t len = 0;
    if (EVP_PKEY_get_group_name(k, group, sizeof group, &len) == 1 &&
        (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0)) {
      *name = "P-256";
      return true;
    }
    *name = std::string("EC ") + group;
    return false;
  }
  *name = EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown";
  return false;
}

Result<std::string> ReadSmallFile(const std::string& path, bool private_key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Status::Error("TLS_KEY_MISSING",
                           path +
                               " does not exist (make the node's TLS key and certificate with "
                               "`tracectl tls-keygen --out DIR`; docs/operations.md)");
    }
    return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IOError(path + " is not a regular file");
  }
  if (private_key && (st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::Error("TLS_KEY_PERMISSIONS", path + " has mode " + mode +
                                                    ": a private key must not be accessible to "
                                                    "group or others (chmod 600 " +
                                                    path + ")");
  }
  if (st.st_size > static_cast<off_t>(kMaxTlsFileBytes)) {
    ::close(fd);
    return Invalid(path + " is larger than " + std::to_string(kMaxTlsFileBytes) + " bytes");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = ::read(fd, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

Status WritePublicFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IOError("cannot create " + path + ": " + std::strerror(errno) +
                           (errno == EEXIST ? " (refusing to overwrite an existing file)" : ""));
  }
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::IOError("cannot sync " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

Result<TlsIdentity> GenerateTlsIdentity(std::string_view name, std::string_view seed) {
  Ptr<EVP_PKEY> key;
  if (!seed.empty()) {
    if (seed.size() != 32) return Status::InvalidArgument("an Ed25519 seed is 32 bytes");
    key.reset(EVP_PKEY_new_raw_private_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), 32));
  } else {
    key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  }
  if (!key) return Invalid("cannot make an Ed25519 key: " + OpenSslError());
  Ptr<X509> cert(X509_new());
  Ptr<BIGNUM> serial(BN_new());
  std::string cn = "traceledger validator " + std::string(name.substr(0, 32));
  bool ok = cert && serial && X509_set_version(cert.get(), 2) == 1 &&
            BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), "99991231235959Z") == 1 &&
            X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(cn.data()),
                                       static_cast<int>(cn.size()), -1, 0) == 1 &&
            X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) == 1 &&
            X509_set_pubkey(cert.get(), key.get()) == 1 &&
            X509_sign(cert.get(), key.get(), nullptr) > 0;
  if (!ok) return Invalid("cannot make a certificate: " + OpenSslError());
  Ptr<BIO> kb(BIO_new(BIO_s_mem())), cb(BIO_new(BIO_s_mem()));
  if (!kb || !cb ||
      PEM_write_bio_PKCS8PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(cb.get(), cert.get()) != 1) {
    return Invalid("cannot write PEM: " + OpenSslError());
  }
  TlsIdentity id;
  id.key_pem = BioText(kb.get());
  id.cert_pem = BioText(cb.get());
  auto pin = PinOf(cert.get());
  if (!pin.ok()) return pin.status();
  id.spki_sha256 = *pin;
  return id;
}

Result<std::string> CertificatePin(std::string_view cert_pem) {
  Ptr<X509> cert = ReadCert(cert_pem);
  if (!cert) return Invalid("not a PEM certificate: " + OpenSslError());
  return PinOf(cert.get());
}

Result<TlsIdentity> ParseTlsIdentity(std::string key_pem, std::string cert_pem,
                                     const std::string& where) {
  std::string at = where.empty() ? "" : where + ": ";
  Ptr<BIO> kb(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  Ptr<EVP_PKEY> key(kb ? PEM_read_bio_PrivateKey(kb.get(), nullptr, NoPassphrase, nullptr)
                       : nullptr);
  if (!key) {
    return Invalid(at + "the key is not an unencrypted PEM private key: " + OpenSslError());
  }
  std::string type;
  if (!AllowedKeyType(key.get(), &type)) {
    return Invalid(at + "the key is " + type + "; TLS keys must be Ed25519 or P-256");
  }
  Ptr<X509> cert = ReadCert(cert_pem);
  if (!cert) return Invalid(at + "the certificate is not a PEM certificate: " + OpenSslError());
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Invalid(at + "the certificate is not the key's (they do not belong together)");
  }
  auto pin = PinOf(cert.get());
  if (!pin.ok()) return pin.status();
  TlsIdentity id;
  id.key_pem = std::move(key_pem);
  id.cert_pem = std::move(cert_pem);
  id.spki_sha256 = *pin;
  return id;
}

Result<TlsIdentity> LoadTlsIdentity(const std::string& key_path, const std::string& cert_path) {
  auto key = ReadSmallFile(key_path, /*private_key=*/true);
  if (!key.ok()) return key.status();
  auto cert = ReadSmallFile(cert_path, /*private_key=*/false);
  if (!cert.ok()) return cert.status();
  return ParseTlsIdentity(std::move(key).value(), std::move(cert).value(),
                          key_path + " and " + cert_path);
}

Status WriteTlsIdentity(const TlsIdentity& id, const std::string& key_path,
                        const std::string& cert_path) {
  TL_RETURN_IF_ERROR(WritePrivateFile(key_path, id.key_pem));
  return WritePublicFile(cert_path, id.cert_pem);
}

}  // namespace traceledger::node

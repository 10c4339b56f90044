#include "ledger/hash.h"

#include <cryptopp/sha.h>
#include <cryptopp/sm3.h>

#include <cassert>

namespace traceledger {

const char* HashAlgName(HashAlg alg) { return alg == HashAlg::kSm3 ? "sm3" : "sha256"; }

std::optional<HashAlg> ParseHashAlg(std::string_view name) {
  if (name == "sha256") return HashAlg::kSha256;
  if (name == "sm3") return HashAlg::kSm3;
  return std::nullopt;
}

struct Hasher::Impl {
  CryptoPP::SHA256 sha256;
  CryptoPP::SM3 sm3;
  CryptoPP::HashTransformation* h;
};

Hasher::Hasher(HashAlg alg) : impl_(std::make_unique<Impl>()) {
  impl_->h = alg == HashAlg::kSm3 ? static_cast<CryptoPP::HashTransformation*>(&impl_->sm3)
                                  : static_cast<CryptoPP::HashTransformation*>(&impl_->sha256);
  assert(impl_->h->DigestSize() == kHashSize);
}

Hasher::~Hasher() = default;

void Hasher::Update(std::string_view data) {
  impl_->h->Update(reinterpret_cast<const CryptoPP::byte*>(data.data()), data.size());
}

std::string Hasher::Final() {
  std::string out(kHashSize, '\0');
  impl_->h->Final(reinterpret_cast<CryptoPP::byte*>(out.data()));
  return out;
}

template <typename H>
static std::string Digest2(std::string_view a, std::string_view b) {
  H h;
  h.Update(reinterpret_cast<const CryptoPP::byte*>(a.data()), a.size());
  h.Update(reinterpret_cast<const CryptoPP::byte*>(b.data()), b.size());
  std::string out(kHashSize, '\0');
  h.Final(reinterpret_cast<CryptoPP::byte*>(out.data()));
  return out;
}

std::string Hash(HashAlg alg, std::string_view data) { return Hash2(alg, data, {}); }

std::string Hash2(HashAlg alg, std::string_view a, std::string_view b) {
  return alg == HashAlg::kSm3 ? Digest2<CryptoPP::SM3>(a, b) : Digest2<CryptoPP::SHA256>(a, b);
}

}  // namespace traceledger

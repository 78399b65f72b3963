#include "media/srtp_aes_cm.hpp"

#include <cstring>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <re.h>

namespace sylk::media {

namespace {

constexpr std::size_t kKeySize = 16;
constexpr std::size_t kSaltSize = 14;
constexpr std::size_t kAuthKeySize = 20;
constexpr std::size_t kShaBlock = 64;
constexpr std::uint8_t kLabelRtpKey = 0x00;
constexpr std::uint8_t kLabelRtpAuth = 0x01;
constexpr std::uint8_t kLabelRtpSalt = 0x02;

// Key material on the stack, wiped on every way out.
template <std::size_t N> struct Secret {
    std::uint8_t bytes[N] = {};
    Secret() = default;
    Secret(const Secret &) = delete;
    Secret &operator=(const Secret &) = delete;
    ~Secret() { OPENSSL_cleanse(bytes, N); }
};

void require(bool ok, const char *what) {
    if (!ok) throw std::runtime_error(std::string("SRTP AES-CM: ") + what);
}

// RFC 3711 4.3.1 with the key derivation rate 0: the AES-CM keystream under the master
// key from x * 2^16, x = (label << 48) XOR master salt.
void derive(const std::uint8_t master[SrtpAesCm::kMasterSize], std::uint8_t label, std::uint8_t *out,
            std::size_t size) {
    std::uint8_t iv[16] = {};
    std::memcpy(iv, master + kKeySize, kSaltSize);
    iv[7] ^= label;  // the label sits 7 bytes from the right of the 14-byte x
    std::memset(out, 0, size);
    EVP_CIPHER_CTX *prf = EVP_CIPHER_CTX_new();
    int written = 0;
    bool ok = prf && EVP_EncryptInit_ex(prf, EVP_aes_128_ctr(), nullptr, master, iv) == 1 &&
              EVP_EncryptUpdate(prf, out, &written, out, static_cast<int>(size)) == 1;
    EVP_CIPHER_CTX_free(prf);  // wipes its key schedule
    require(ok, "cannot derive the session keys");
}

// A SHA-1 context that has read the auth key XOR a pad, for HMAC (RFC 2104).
EVP_MD_CTX *sha1_after_pad(const std::uint8_t key[kAuthKeySize], std::uint8_t pad) {
    Secret<kShaBlock> block;
    for (std::size_t i = 0; i < kShaBlock; ++i) block.bytes[i] = static_cast<std::uint8_t>((i < kAuthKeySize ? key[i] : 0) ^ pad);
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    bool ok = context && EVP_DigestInit_ex(context, EVP_sha1(), nullptr) == 1 &&
              EVP_DigestUpdate(context, block.bytes, kShaBlock) == 1;
    if (!ok) EVP_MD_CTX_free(context);
    require(ok, "cannot set up HMAC-SHA1");
    return context;
}

}  // namespace

SrtpAesCm::SrtpAesCm(const std::uint8_t master[kMasterSize]) {
    Secret<kKeySize> key;
    Secret<kAuthKeySize> auth_key;
    Secret<kSaltSize> salt;
    derive(master, kLabelRtpKey, key.bytes, kKeySize);
    derive(master, kLabelRtpAuth, auth_key.bytes, kAuthKeySize);
    derive(master, kLabelRtpSalt, salt.bytes, kSaltSize);
    std::memcpy(session_salt_, salt.bytes, kSaltSize);
    try {
        cipher_ = EVP_CIPHER_CTX_new();
        require(cipher_ && EVP_EncryptInit_ex(cipher_, EVP_aes_128_ctr(), nullptr, key.bytes, nullptr) == 1,
                "cannot set the session key");
        inner_ = sha1_after_pad(auth_key.bytes, 0x36);
        outer_ = sha1_after_pad(auth_key.bytes, 0x5c);
        work_ = EVP_MD_CTX_new();
        require(work_ != nullptr, "out of memory");
    } catch (...) {
        release();
        throw;
    }
}

SrtpAesCm::~SrtpAesCm() { release(); }

void SrtpAesCm::release() {
    // OpenSSL wipes what its contexts hold when they are freed.
    EVP_CIPHER_CTX_free(cipher_);
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_CTX_free(work_);
    cipher_ = nullptr;
    inner_ = outer_ = work_ = nullptr;
    OPENSSL_cleanse(session_salt_, sizeof session_salt_);
}

// (session salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16).
void SrtpAesCm::counter(std::uint32_t ssrc, std::uint64_t index, std::uint8_t iv[16]) const {
    std::memset(iv, 0, 16);
    std::memcpy(iv, session_salt_, kSaltSize);
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<std::uint8_t>(index >> (40 - 8 * i));
}

bool SrtpAesCm::apply_keystream(const std::uint8_t iv[16], std::uint8_t *data, std::size_t size) {
    int written = 0;
    return EVP_EncryptInit_ex(cipher_, nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_EncryptUpdate(cipher_, data, &written, data, static_cast<int>(size)) == 1;
}

bool SrtpAesCm::tag(const std::uint8_t *data, std::size_t size, std::uint32_t rollover, std::uint8_t out[kTagSize]) {
    const std::uint8_t rollover_bytes[4] = {std::uint8_t(rollover >> 24), std::uint8_t(rollover >> 16),
                                            std::uint8_t(rollover >> 8), std::uint8_t(rollover)};
    std::uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    bool ok = EVP_MD_CTX_copy_ex(work_, inner_) == 1 && EVP_DigestUpdate(work_, data, size) == 1 &&
              EVP_DigestUpdate(work_, rollover_bytes, sizeof rollover_bytes) == 1 &&
              EVP_DigestFinal_ex(work_, digest, &digest_size) == 1 && EVP_MD_CTX_copy_ex(work_, outer_) == 1 &&
              EVP_DigestUpdate(work_, digest, digest_size) == 1 && EVP_DigestFinal_ex(work_, digest, &digest_size) == 1;
    if (ok) std::memcpy(out, digest, kTagSize);
    return ok;
}

bool SrtpAesCm::protect(struct mbuf *packet) {
    std::size_t size = mbuf_get_left(packet);
    auto located = to_seal(packet, kTagSize);  // a used index would repeat its keystream
    if (!located) return false;
    std::uint8_t *start = mbuf_buf(packet);
    std::size_t header = located->header;
    std::uint8_t iv[16];
    counter(located->place.ssrc, located->place.index, iv);
    if (!apply_keystream(iv, start + header, size - header)) return false;
    std::uint8_t sealed_tag[kTagSize];
    if (!tag(start, size, static_cast<std::uint32_t>(located->place.index >> 16), sealed_tag)) {
        apply_keystream(iv, start + header, size - header);  // the same keystream again gives the plain bytes back
        return false;
    }
    std::memcpy(start + size, sealed_tag, kTagSize);
    packet->end += kTagSize;
    streams_.commit(located->place);
    return true;
}

bool SrtpAesCm::unprotect(struct mbuf *packet) {
    auto located = to_open(packet, kTagSize);
    if (!located) return false;
    std::size_t sealed_size = mbuf_get_left(packet) - kTagSize;
    std::uint8_t *start = mbuf_buf(packet);
    std::uint8_t expected[kTagSize];
    if (!tag(start, sealed_size, static_cast<std::uint32_t>(located->place.index >> 16), expected)) return false;
    if (CRYPTO_memcmp(expected, start + sealed_size, kTagSize) != 0) return false;
    std::uint8_t iv[16];
    counter(located->place.ssrc, located->place.index, iv);
    if (!apply_keystream(iv, start + located->header, sealed_size - located->header)) return false;
    packet->end -= kTagSize;
    streams_.commit(located->place);
    return true;
}

}  // namespace sylk::media

// AES-128-GCM (NIST SP 800-38D) on the CPU's AES and carry-less multiply instructions,
// for the SRTP fast path. Why not OpenSSL's EVP: for a 200-byte RTP packet, OpenSSL 3
// spends more on setting the IV (parameter lookups, per-call context state) than on
// the cipher, and each call's EVP context is scattered over several allocations; this
// keeps a key's whole state in one 240-byte object and does no allocation.
// Only built where the compiler targets x86-64; available() says whether this CPU has
// the instructions (the caller falls back to libre's SRTP when not).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sylk::media {

class Aes128Gcm {
public:
    static constexpr std::size_t kKeySize = 16;
    static constexpr std::size_t kIvSize = 12;
    static constexpr std::size_t kTagSize = 16;

    // True when this build and this CPU can run it (AES-NI, PCLMULQDQ, SSSE3).
    static bool available();

    // Only when available().
    explicit Aes128Gcm(const std::uint8_t key[kKeySize]);
    // Round keys and hash powers are key material: wiped when it goes.
    Aes128Gcm(const Aes128Gcm &) = default;
    Aes128Gcm &operator=(const Aes128Gcm &) = default;
    ~Aes128Gcm();

    // AES-128 of one 16-byte block (the SRTP key derivation uses the raw cipher).
    void encrypt_block(const std::uint8_t in[16], std::uint8_t out[16]) const;

    // Encrypts data in place and writes the tag; aad is authenticated, not encrypted.
    void seal(const std::uint8_t iv[kIvSize], const std::uint8_t *aad, std::size_t aad_size, std::uint8_t *data,
              std::size_t size, std::uint8_t tag[kTagSize]) const;

    // Checks the tag over aad and the ciphertext first; only then decrypts in place.
    // Returns false (data untouched) when the tag does not match.
    bool open(const std::uint8_t iv[kIvSize], const std::uint8_t *aad, std::size_t aad_size, std::uint8_t *data,
              std::size_t size, const std::uint8_t tag[kTagSize]) const;

private:
    void ghash_tag(const std::uint8_t iv[kIvSize], const std::uint8_t *aad, std::size_t aad_size,
                   const std::uint8_t *ciphertext, std::size_t size, std::uint8_t tag[kTagSize]) const;
    void apply_keystream(const std::uint8_t iv[kIvSize], std::uint8_t *data, std::size_t size) const;

    // Round keys, then the hash key H and its powers H^2, H^3, H^4 (GHASH takes four
    // blocks at a time), byte-reversed; 16-byte aligned for SSE loads.
    alignas(16) std::uint8_t round_keys_[11][16];
    alignas(16) std::uint8_t hash_powers_[4][16];
};

}  // namespace sylk::media

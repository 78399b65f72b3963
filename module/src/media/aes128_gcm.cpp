#include "media/aes128_gcm.hpp"

#include <cstdlib>
#include <cstring>

#include <openssl/crypto.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SYLK_AES_TARGET __attribute__((target("aes,pclmul,ssse3")))
#endif

namespace sylk::media {

#if defined(__x86_64__)

namespace {

SYLK_AES_TARGET inline __m128i load(const std::uint8_t *p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
}

SYLK_AES_TARGET inline void store(std::uint8_t *p, __m128i v) {
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p), v);
}

// GHASH works on blocks with the first byte as the lowest-degree coefficients; byte
// reversal turns a block into an integer whose bit 127 is the coefficient of x^0.
SYLK_AES_TARGET inline __m128i reverse_bytes(__m128i v) {
    const __m128i order = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm_shuffle_epi8(v, order);
}

// One step of the AES-128 key schedule; `assist` is aeskeygenassist of the previous
// round key with this round's constant.
SYLK_AES_TARGET inline __m128i next_round_key(__m128i key, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xff);
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
    return _mm_xor_si128(key, assist);
}

SYLK_AES_TARGET void expand_key(const std::uint8_t key[16], std::uint8_t round_keys[11][16]) {
    __m128i k = load(key);
    store(round_keys[0], k);
    // aeskeygenassist takes its round constant as an immediate, hence the unrolled list.
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x01)); store(round_keys[1], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x02)); store(round_keys[2], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x04)); store(round_keys[3], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x08)); store(round_keys[4], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x10)); store(round_keys[5], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x20)); store(round_keys[6], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x40)); store(round_keys[7], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x80)); store(round_keys[8], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x1b)); store(round_keys[9], k);
    k = next_round_key(k, _mm_aeskeygenassist_si128(k, 0x36)); store(round_keys[10], k);
}

SYLK_AES_TARGET inline __m128i encrypt(const std::uint8_t round_keys[11][16], __m128i block) {
    block = _mm_xor_si128(block, load(round_keys[0]));
    for (int round = 1; round < 10; ++round) block = _mm_aesenc_si128(block, load(round_keys[round]));
    return _mm_aesenclast_si128(block, load(round_keys[10]));
}

// Four blocks through the rounds side by side: the AES unit is pipelined, so this costs
// little more than one. Four named values, not an array: an array stays on the stack,
// and every round then waits for a store and a load.
SYLK_AES_TARGET inline void encrypt4(const std::uint8_t round_keys[11][16], __m128i &a, __m128i &b, __m128i &c,
                                     __m128i &d) {
    __m128i key = load(round_keys[0]);
    a = _mm_xor_si128(a, key);
    b = _mm_xor_si128(b, key);
    c = _mm_xor_si128(c, key);
    d = _mm_xor_si128(d, key);
    for (int round = 1; round < 10; ++round) {
        key = load(round_keys[round]);
        a = _mm_aesenc_si128(a, key);
        b = _mm_aesenc_si128(b, key);
        c = _mm_aesenc_si128(c, key);
        d = _mm_aesenc_si128(d, key);
    }
    key = load(round_keys[10]);
    a = _mm_aesenclast_si128(a, key);
    b = _mm_aesenclast_si128(b, key);
    c = _mm_aesenclast_si128(c, key);
    d = _mm_aesenclast_si128(d, key);
}

// Products in GF(2^128) modulo x^128 + x^7 + x^2 + x + 1, of byte-reversed values (see
// above), in two steps: the carry-less products, which can be summed before reducing
// (reduction is linear), then one reduction. So four blocks of GHASH cost four products
// and one reduction, and the four products do not wait for one another.
struct Unreduced {
    __m128i low, middle, high;  // the 256-bit product: high:low, middle straddling them
};

SYLK_AES_TARGET inline Unreduced carryless_product(__m128i a, __m128i b) {
    return {_mm_clmulepi64_si128(a, b, 0x00),
            _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01)),
            _mm_clmulepi64_si128(a, b, 0x11)};
}

SYLK_AES_TARGET inline void add(Unreduced &sum, const Unreduced &product) {
    sum.low = _mm_xor_si128(sum.low, product.low);
    sum.middle = _mm_xor_si128(sum.middle, product.middle);
    sum.high = _mm_xor_si128(sum.high, product.high);
}

// The 256-bit carry-less product of two bit-reflected values comes out reflected and one
// bit short, hence the shift left by one before the reduction (Gueron and Kounavis,
// "Intel Carry-Less Multiplication Instruction and its Usage for Computing the GCM Mode").
SYLK_AES_TARGET inline __m128i reduce(const Unreduced &product) {
    __m128i low = _mm_xor_si128(product.low, _mm_slli_si128(product.middle, 8));
    __m128i high = _mm_xor_si128(product.high, _mm_srli_si128(product.middle, 8));

    // The 256-bit value high:low, shifted left by one bit.
    __m128i low_carries = _mm_srli_epi32(low, 31);
    __m128i high_carries = _mm_srli_epi32(high, 31);
    low = _mm_slli_epi32(low, 1);
    high = _mm_slli_epi32(high, 1);
    __m128i carry_into_high = _mm_srli_si128(low_carries, 12);
    low = _mm_or_si128(low, _mm_slli_si128(low_carries, 4));
    high = _mm_or_si128(high, _mm_slli_si128(high_carries, 4));
    high = _mm_or_si128(high, carry_into_high);

    // Reduction, in two phases of shifts by the polynomial's low terms (1, 2, 7 bits,
    // and their complements 31, 30, 25).
    __m128i first = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(low, 31), _mm_slli_epi32(low, 30)),
                                  _mm_slli_epi32(low, 25));
    __m128i first_spill = _mm_srli_si128(first, 4);
    low = _mm_xor_si128(low, _mm_slli_si128(first, 12));
    __m128i second = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(low, 1), _mm_srli_epi32(low, 2)),
                                   _mm_srli_epi32(low, 7));
    second = _mm_xor_si128(second, first_spill);
    low = _mm_xor_si128(low, second);
    return _mm_xor_si128(high, low);
}

SYLK_AES_TARGET inline __m128i gf_multiply(__m128i a, __m128i b) { return reduce(carryless_product(a, b)); }

// Absorbs bytes into the running hash, the last block zero-padded. Four blocks at a time
// by Horner's rule unrolled: ((((y + x1)h + x2)h + x3)h + x4)h = (y + x1)h^4 + x2 h^3 +
// x3 h^2 + x4 h; `powers` holds h, h^2, h^3, h^4.
SYLK_AES_TARGET inline __m128i ghash_absorb(__m128i hash, const std::uint8_t (*powers)[16], const std::uint8_t *bytes,
                                            std::size_t size) {
    const __m128i h = load(powers[0]);
    if (size >= 64) {
        const __m128i h2 = load(powers[1]), h3 = load(powers[2]), h4 = load(powers[3]);
        do {
            Unreduced sum = carryless_product(_mm_xor_si128(hash, reverse_bytes(load(bytes))), h4);
            add(sum, carryless_product(reverse_bytes(load(bytes + 16)), h3));
            add(sum, carryless_product(reverse_bytes(load(bytes + 32)), h2));
            add(sum, carryless_product(reverse_bytes(load(bytes + 48)), h));
            hash = reduce(sum);
            bytes += 64;
            size -= 64;
        } while (size >= 64);
    }
    while (size >= 16) {
        hash = gf_multiply(_mm_xor_si128(hash, reverse_bytes(load(bytes))), h);
        bytes += 16;
        size -= 16;
    }
    if (size > 0) {
        alignas(16) std::uint8_t last[16] = {};
        std::memcpy(last, bytes, size);
        hash = gf_multiply(_mm_xor_si128(hash, reverse_bytes(load(last))), h);
    }
    return hash;
}

// The counter block IV || counter (a 32-bit big-endian counter in the last four bytes).
SYLK_AES_TARGET inline __m128i counter_block(const std::uint8_t iv[12], std::uint32_t counter) {
    alignas(16) std::uint8_t block[16];
    std::memcpy(block, iv, 12);
    block[12] = static_cast<std::uint8_t>(counter >> 24);
    block[13] = static_cast<std::uint8_t>(counter >> 16);
    block[14] = static_cast<std::uint8_t>(counter >> 8);
    block[15] = static_cast<std::uint8_t>(counter);
    return load(block);
}

}  // namespace

bool Aes128Gcm::available() {
    static const bool has = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
                            __builtin_cpu_supports("ssse3");
    return has;
}

SYLK_AES_TARGET Aes128Gcm::Aes128Gcm(const std::uint8_t key[kKeySize]) {
    expand_key(key, round_keys_);
    __m128i h = reverse_bytes(encrypt(round_keys_, _mm_setzero_si128()));
    __m128i power = h;
    store(hash_powers_[0], power);
    for (int i = 1; i < 4; ++i) {
        power = gf_multiply(power, h);
        store(hash_powers_[i], power);
    }
}

SYLK_AES_TARGET void Aes128Gcm::encrypt_block(const std::uint8_t in[16], std::uint8_t out[16]) const {
    store(out, encrypt(round_keys_, load(in)));
}

// Counter mode from block 2 on (block 1, J0, is kept for the tag), four blocks at a time.
SYLK_AES_TARGET void Aes128Gcm::apply_keystream(const std::uint8_t iv[kIvSize], std::uint8_t *data,
                                                std::size_t size) const {
    std::uint32_t counter = 2;
    while (size > 0) {
        __m128i keystream[4] = {counter_block(iv, counter), counter_block(iv, counter + 1),
                                counter_block(iv, counter + 2), counter_block(iv, counter + 3)};
        encrypt4(round_keys_, keystream[0], keystream[1], keystream[2], keystream[3]);
        counter += 4;
        for (int i = 0; i < 4 && size > 0; ++i) {
            if (size >= 16) {
                store(data, _mm_xor_si128(load(data), keystream[i]));
                data += 16;
                size -= 16;
            } else {
                alignas(16) std::uint8_t tail[16];
                store(tail, keystream[i]);
                for (std::size_t j = 0; j < size; ++j) data[j] ^= tail[j];
                size = 0;
            }
        }
    }
}

SYLK_AES_TARGET void Aes128Gcm::ghash_tag(const std::uint8_t iv[kIvSize], const std::uint8_t *aad,
                                          std::size_t aad_size, const std::uint8_t *ciphertext, std::size_t size,
                                          std::uint8_t tag[kTagSize]) const {
    const __m128i h = load(hash_powers_[0]);
    __m128i hash = _mm_setzero_si128();
    hash = ghash_absorb(hash, hash_powers_, aad, aad_size);
    hash = ghash_absorb(hash, hash_powers_, ciphertext, size);
    // The lengths block: bit lengths of aad and ciphertext, 64-bit big-endian each;
    // byte-reversed, that is the two counts as little-endian halves, swapped.
    __m128i lengths = _mm_set_epi64x(static_cast<long long>(aad_size * 8), static_cast<long long>(size * 8));
    hash = gf_multiply(_mm_xor_si128(hash, lengths), h);
    __m128i mask = encrypt(round_keys_, counter_block(iv, 1));
    store(tag, _mm_xor_si128(reverse_bytes(hash), mask));
}

void Aes128Gcm::seal(const std::uint8_t iv[kIvSize], const std::uint8_t *aad, std::size_t aad_size,
                     std::uint8_t *data, std::size_t size, std::uint8_t tag[kTagSize]) const {
    apply_keystream(iv, data, size);
    ghash_tag(iv, aad, aad_size, data, size, tag);
}

bool Aes128Gcm::open(const std::uint8_t iv[kIvSize], const std::uint8_t *aad, std::size_t aad_size,
                     std::uint8_t *data, std::size_t size, const std::uint8_t tag[kTagSize]) const {
    std::uint8_t expected[kTagSize];
    ghash_tag(iv, aad, aad_size, data, size, expected);
    if (CRYPTO_memcmp(expected, tag, kTagSize) != 0) return false;
    apply_keystream(iv, data, size);
    return true;
}

#else  // not x86-64: never available, so never constructed

bool Aes128Gcm::available() { return false; }
Aes128Gcm::Aes128Gcm(const std::uint8_t *) { std::abort(); }
void Aes128Gcm::encrypt_block(const std::uint8_t *, std::uint8_t *) const { std::abort(); }
void Aes128Gcm::seal(const std::uint8_t *, const std::uint8_t *, std::size_t, std::uint8_t *, std::size_t,
                     std::uint8_t *) const {
    std::abort();
}
bool Aes128Gcm::open(const std::uint8_t *, const std::uint8_t *, std::size_t, std::uint8_t *, std::size_t,
                     const std::uint8_t *) const {
    std::abort();
}

#endif

Aes128Gcm::~Aes128Gcm() {
    OPENSSL_cleanse(round_keys_, sizeof round_keys_);
    OPENSSL_cleanse(hash_powers_, sizeof hash_powers_);
}

}  // namespace sylk::media

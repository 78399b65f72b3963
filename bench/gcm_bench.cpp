// What AES-128-GCM costs per RTP packet, the media worker's own share of SRTP: each
// packet sealed and then opened (what the gateway does once each way) with
// media/aes128_gcm, for an audio packet (12-byte header, 160 bytes of payload) and a
// video one (12 + 1,100). Prints nanoseconds per packet, the best of five rounds of
// 200,000 packets (the other rounds are the machine's noise, not the code's).
// `--once`: one round of 20,000, for counting instructions under callgrind, which
// repeats exactly where timings do not.
#include "media/aes128_gcm.hpp"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using sylk::media::Aes128Gcm;

std::uint64_t now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

// Nanoseconds per packet over `count` seal-then-open turns of one `payload`-byte packet.
// A tag that does not open is a broken build: it stops the run rather than time it.
double time_packets(const Aes128Gcm &cipher, std::size_t payload, unsigned count) {
    std::uint8_t header[12] = {0x80, 0x60};
    std::vector<std::uint8_t> data(payload, 0x5a);
    std::uint8_t iv[Aes128Gcm::kIvSize] = {};
    std::uint8_t tag[Aes128Gcm::kTagSize];
    std::uint64_t start = now_ns();
    for (unsigned i = 0; i < count; ++i) {
        std::memcpy(iv + 8, &i, sizeof i);  // a new nonce per packet, as SRTP's sequence gives
        cipher.seal(iv, header, sizeof header, data.data(), data.size(), tag);
        if (!cipher.open(iv, header, sizeof header, data.data(), data.size(), tag)) {
            std::fprintf(stderr, "gcm_bench: a packet sealed here did not open\n");
            std::exit(1);
        }
    }
    return static_cast<double>(now_ns() - start) / count;
}

}  // namespace

int main(int argc, char **argv) {
    if (!Aes128Gcm::available()) {
        std::fprintf(stderr, "gcm_bench: this CPU lacks AES-NI or PCLMULQDQ: the gateway would use libre's SRTP\n");
        return 1;
    }
    bool once = argc > 1 && std::strcmp(argv[1], "--once") == 0;
    const std::uint8_t key[Aes128Gcm::kKeySize] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    Aes128Gcm cipher(key);
    for (std::size_t payload : {std::size_t{160}, std::size_t{1100}}) {
        double best = 1e18;
        for (int round = 0; round < (once ? 1 : 5); ++round)
            best = std::min(best, time_packets(cipher, payload, once ? 20000 : 200000));
        std::printf("AES-128-GCM, 12 + %zu bytes: %.0f ns per packet sealed and opened\n", payload, best);
    }
    return 0;
}

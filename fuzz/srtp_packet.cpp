// Raw bytes as an RTP packet -> our SRTP (media::SrtpGcm and SrtpAesCm), both ways:
// - as received SRTP: unprotect refuses it (nothing can forge the tag) and leaves the bytes
//   as they were;
// - as plain RTP to send: when protect takes it, libre's srtp and a fresh one of ours both open
//   it back to the same bytes, and one flipped bit makes ours refuse it.
#include "check.hpp"

#include "media/srtp_aes_cm.hpp"
#include "media/srtp_gcm.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

using sylk::media::SrtpAesCm;
using sylk::media::SrtpGcm;

namespace {

// AES-CM's 30 bytes of master key and salt; GCM takes the first 28.
const std::uint8_t kMaster[SrtpAesCm::kMasterSize] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                                      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
template <class Cipher> constexpr enum srtp_suite kLibreSuite = SRTP_AES_128_GCM;
template <> constexpr enum srtp_suite kLibreSuite<SrtpAesCm> = SRTP_AES_CM_128_HMAC_SHA1_80;

struct mbuf *packet_of(const std::uint8_t *data, std::size_t size) {
    // Exactly `size` bytes, so that a read past the packet is an AddressSanitizer report.
    struct mbuf *packet = mbuf_alloc(size);
    if (!packet) std::abort();
    mbuf_write_mem(packet, data, size);
    packet->pos = 0;
    return packet;
}

std::vector<std::uint8_t> bytes_of(const struct mbuf *packet) {
    return {packet->buf + packet->pos, packet->buf + packet->end};
}

}  // namespace

template <class Cipher> void play(const std::uint8_t *data, std::size_t size) {
    std::vector<std::uint8_t> input(data, data + size);

    struct mbuf *received = packet_of(data, size);
    Cipher receiver(kMaster);
    FUZZ_CHECK(!receiver.unprotect(received));
    FUZZ_CHECK(bytes_of(received) == input);
    mem_deref(received);

    struct mbuf *sent = packet_of(data, size);
    Cipher sender(kMaster);
    if (sender.protect(sent)) {
        FUZZ_CHECK(mbuf_get_left(sent) == size + Cipher::kTagSize);
        std::vector<std::uint8_t> sealed = bytes_of(sent);

        struct srtp *libre = nullptr;
        FUZZ_CHECK(srtp_alloc(&libre, kLibreSuite<Cipher>, kMaster, Cipher::kMasterSize, 0) == 0);
        FUZZ_CHECK(srtp_decrypt(libre, sent) == 0);
        FUZZ_CHECK(bytes_of(sent) == input);
        mem_deref(libre);

        struct mbuf *flipped = packet_of(sealed.data(), sealed.size());
        flipped->buf[(size * 7) % sealed.size()] ^= 0x10;
        Cipher fresh(kMaster);
        FUZZ_CHECK(!fresh.unprotect(flipped));
        mem_deref(flipped);

        struct mbuf *intact = packet_of(sealed.data(), sealed.size());
        FUZZ_CHECK(fresh.unprotect(intact));
        FUZZ_CHECK(bytes_of(intact) == input);
        mem_deref(intact);
    } else {
        FUZZ_CHECK(bytes_of(sent) == input);
    }
    mem_deref(sent);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size == 0) return 0;
    if (SrtpGcm::available()) play<SrtpGcm>(data, size);
    play<SrtpAesCm>(data, size);
    return 0;
}

// SrtcpGuard around libre's srtcp_decrypt, as the browser transport uses it, over
// packet sequences, with AEAD_AES_128_GCM or AES_CM_128_HMAC_SHA1_80: genuine SRTCP made
// by libre's srtcp_encrypt for up to ten senders (more than the guard keeps), delivered
// in any order and any number of times, mixed with damaged copies, copies with the E
// bit cleared, the plain packet with an E=0 index and no tag, and raw input.
// Properties:
// - a genuine packet opens, back to its plain bytes, exactly when a model says so: its
//   index not opened before, within 64 of its sender's highest, and its sender known or
//   one of the first eight;
// - nothing else ever opens (no forgery, with GCM no E=0 packet at all), and a refusal
//   changes nothing (the model's later verdicts still hold): forgeries from made-up
//   SSRCs do not use up libre's room for streams either (it found that they did).
// Input: the suite (1 byte), then 4-byte steps: what to deliver, and its arguments.
#include "check.hpp"
#include "libre_input.hpp"

#include "media/srtcp_guard.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

using sylk::media::SrtcpGuard;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes sender_report(std::uint32_t ssrc, std::uint16_t mark) {
    return {0x80, 200, 0, 6, std::uint8_t(ssrc >> 24), std::uint8_t(ssrc >> 16), std::uint8_t(ssrc >> 8),
            std::uint8_t(ssrc), 0, 0, std::uint8_t(mark >> 8), std::uint8_t(mark), 1, 2, 3, 4, 5, 6, 7, 8,
            9, 10, 11, 12, 13, 14, 15, 16};
}

// A packet in an mbuf with room for what sealing adds.
struct Packet : sylk::fuzz::OwnedMbuf {
    explicit Packet(const Bytes &bytes) : OwnedMbuf(bytes, 64) {}
};

struct Sealed {
    Bytes wire, plain;
    std::uint32_t ssrc;
    std::uint32_t index;
};

// The rules the guard keeps, written the plain way.
struct Model {
    std::map<std::uint32_t, std::set<std::uint32_t>> opened;  // by sender
    bool opens(const Sealed &packet) const {
        auto sender = opened.find(packet.ssrc);
        if (sender == opened.end()) return opened.size() < SrtcpGuard::kMaxStreams;
        if (sender->second.count(packet.index)) return false;
        std::uint32_t highest = *sender->second.rbegin();
        return packet.index > highest || highest - packet.index < 64;
    }
};

std::uint32_t read32(const std::uint8_t *p) {
    return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 1) return 0;
    bool gcm = data[0] & 1;
    enum srtp_suite suite = gcm ? SRTP_AES_128_GCM : SRTP_AES_CM_128_HMAC_SHA1_80;
    std::uint8_t master[30];
    for (std::size_t i = 0; i < sizeof master; ++i) master[i] = static_cast<std::uint8_t>(7 * i + 3);
    std::size_t master_size = gcm ? 28 : 30;
    std::size_t index_from_end = gcm ? 4 : 14;  // E|index: last with GCM, before the HMAC tag otherwise

    // libre keeps at most 8 streams per context: one sender context per SSRC.
    struct srtp *senders[10] = {};
    for (auto &sender : senders) FUZZ_CHECK(srtp_alloc(&sender, suite, master, master_size, 0) == 0);
    SrtcpGuard guard(suite);
    FUZZ_CHECK(guard.set_key(master, master_size) == 0);
    Model model;
    std::vector<Sealed> sealed;

    for (std::size_t at = 1; at + 4 <= size && at < 1 + 4 * 512; at += 4) {
        std::uint8_t kind = data[at] % 6;
        std::uint8_t a = data[at + 1], b = data[at + 2], c = data[at + 3];
        if (kind == 0 || sealed.empty()) {  // a new genuine packet, kept for later
            std::uint32_t ssrc = 0x1000u + a % 10;
            Packet packet(sender_report(ssrc, static_cast<std::uint16_t>(b << 8 | c)));
            Bytes plain = packet.bytes();
            FUZZ_CHECK(srtcp_encrypt(senders[a % 10], packet.get()) == 0);
            Bytes wire = packet.bytes();
            std::uint32_t word = read32(wire.data() + wire.size() - index_from_end);
            sealed.push_back({wire, plain, ssrc, word & 0x7fffffffu});
            continue;
        }
        const Sealed &chosen = sealed[(std::size_t(a) << 8 | b) % sealed.size()];
        Bytes bytes = chosen.wire;
        bool genuine = false;
        switch (kind) {
        case 1:
        case 2: genuine = true; break;                                              // as sealed (again, maybe)
        case 3: bytes[c % bytes.size()] ^= static_cast<std::uint8_t>(1u << (b % 8)); break;  // damaged
        case 4: bytes[bytes.size() - index_from_end] &= 0x7f; break;                // E cleared
        default: {                                                                  // forged: plain, E=0, no tag
            bytes = chosen.plain;
            for (int i = 0; i < 4; ++i) bytes.push_back(data[at + 1 + i % 3]);
            bytes[bytes.size() - 4] &= 0x7f;
            break;
        }
        }
        Packet packet(bytes);
        auto verdict = guard.open(packet.get());
        bool opened = verdict == SrtcpGuard::Verdict::opened;
        if (genuine) {
            FUZZ_CHECK(opened == model.opens(chosen));
            if (opened) {
                FUZZ_CHECK(packet.bytes() == chosen.plain);
                model.opened[chosen.ssrc].insert(chosen.index);
            }
        } else {
            // With AES-CM, E=0 is authenticated by the HMAC (which then fails here); with
            // GCM it is refused before libre.
            FUZZ_CHECK(!opened);
            if (gcm && kind >= 4) FUZZ_CHECK(verdict == SrtcpGuard::Verdict::not_encrypted);
        }
    }
    for (auto *sender : senders) mem_deref(sender);
    return 0;
}

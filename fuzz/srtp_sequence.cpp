// SrtpGcm and SrtpAesCm over packet sequences, each the same input (the single-packet
// target, srtp_packet, cannot reach their per-SSRC state): two streams whose sequence numbers step on, jump (across the rollover
// too), go back (reordering) or repeat, sealed by our sender and opened, in the order
// sealed, by our receiver and by libre's srtp; old packets replayed and sealed packets
// damaged in between.
// Properties:
// - the sender seals exactly what a model of RFC 3711 (index estimate) and of a 64-entry
//   window allows: never an index twice, never one 64 or more behind the highest;
// - every packet sealed, our receiver opens back to its bytes, and so does libre's when
//   the packet is the stream's newest (libre 1.1.0 estimates the rollover counter of a
//   late packet from before a rollover wrongly, so late ones are not given to it);
// - a replayed packet is refused by both (libre is given only replays inside the window:
//   it moves its state for a packet it reads as newer that then fails); a damaged
//   one by ours, which then opens the next genuine packets all the same (a refusal
//   changes nothing);
// - a packet the sender refuses is left as it was.
// Input: a start sequence number (2 bytes), then 4-byte steps: kind and stream, two
// argument bytes, a payload size.
#include "check.hpp"
#include "libre_input.hpp"

#include "media/srtp_aes_cm.hpp"
#include "media/srtp_gcm.hpp"

#include <re.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

using sylk::media::SrtpAesCm;
using sylk::media::SrtpGcm;

namespace {

using Bytes = std::vector<std::uint8_t>;

// 30 bytes: AES-CM's master key and salt; GCM's are the first 28.
const std::uint8_t kMaster[SrtpAesCm::kMasterSize] = {9,  8,  7,  6,  5,  4,  3,  2,  1,  0,  11, 12, 13, 14, 15,
                                                      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
template <class Cipher> constexpr enum srtp_suite kLibreSuite = SRTP_AES_128_GCM;
template <> constexpr enum srtp_suite kLibreSuite<SrtpAesCm> = SRTP_AES_CM_128_HMAC_SHA1_80;
const std::uint32_t kSsrc[2] = {0x11223344u, 0x55667788u};

Bytes rtp(std::uint32_t ssrc, std::uint16_t sequence, std::size_t payload) {
    Bytes packet = {0x80, 111, std::uint8_t(sequence >> 8), std::uint8_t(sequence), 0, 0, 0, 1,
                    std::uint8_t(ssrc >> 24), std::uint8_t(ssrc >> 16), std::uint8_t(ssrc >> 8), std::uint8_t(ssrc)};
    for (std::size_t i = 0; i < payload; ++i) packet.push_back(static_cast<std::uint8_t>(sequence + i));
    return packet;
}

// A packet in an mbuf with room for what sealing adds.
struct Packet : sylk::fuzz::OwnedMbuf {
    explicit Packet(const Bytes &bytes) : OwnedMbuf(bytes, 16) {}
};

// What RFC 3711 and a 64-entry window say of one stream, written the plain way.
struct StreamModel {
    std::optional<std::uint64_t> highest;
    std::set<std::uint64_t> used;

    // RFC 3711 3.3.1; -1 for an index before rollover counter 0.
    std::int64_t index_of(std::uint16_t sequence) const {
        if (!highest) return sequence;
        std::int64_t rollover = static_cast<std::int64_t>(*highest >> 16);
        int last = static_cast<int>(*highest & 0xffff);
        if (last < 32768) {
            if (int(sequence) - last > 32768) --rollover;
        } else if (last - 32768 > int(sequence)) {
            ++rollover;
        }
        return rollover < 0 ? -1 : (rollover << 16 | sequence);
    }
    bool may_seal(std::int64_t index) const {
        if (index < 0) return false;
        auto at = static_cast<std::uint64_t>(index);
        return !highest || (!used.count(at) && at + 64 > *highest);
    }
    void seal(std::uint64_t index) {
        used.insert(index);
        if (!highest || index > *highest) highest = index;
    }
};

template <class Cipher> struct Receivers {
    Cipher ours{kMaster};
    struct srtp *libre = nullptr;
    Receivers() { FUZZ_CHECK(srtp_alloc(&libre, kLibreSuite<Cipher>, kMaster, Cipher::kMasterSize, 0) == 0); }
    ~Receivers() { mem_deref(libre); }
    Receivers(const Receivers &) = delete;
    Receivers &operator=(const Receivers &) = delete;
};

template <class Cipher> void play(const std::uint8_t *data, std::size_t size) {
    Cipher sender(kMaster);
    Receivers<Cipher> receivers;
    std::uint16_t sequence[2];
    sequence[0] = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    sequence[1] = static_cast<std::uint16_t>(sequence[0] ^ 0x8000);
    StreamModel model[2];
    struct Sealed {
        Bytes bytes;
        bool libre_has_it;
        int stream;
        std::uint64_t index;
    };
    std::vector<Sealed> sealed;  // every packet sealed so far, for replays

    for (std::size_t at = 2; at + 4 <= size && at < 2 + 4 * 512; at += 4) {
        std::uint8_t kind = data[at] >> 1 & 7, stream = data[at] & 1;
        std::uint16_t argument = static_cast<std::uint16_t>(data[at + 1] << 8 | data[at + 2]);
        std::size_t payload = data[at + 3] % 64;

        if (kind == 6 && !sealed.empty()) {  // an old packet again: a replay to both
            const Sealed &old = sealed[argument % sealed.size()];
            Packet ours(old.bytes), libre(old.bytes);
            FUZZ_CHECK(!receivers.ours.unprotect(ours.get()));
            FUZZ_CHECK(ours.bytes() == old.bytes);
            // libre only replays inside the window: libre 1.1.0 moves its stream state for
            // a packet that then fails its tag (a replay it reads as from the next
            // rollover, also at exactly half the number space), and its later verdicts
            // go wrong.
            if (old.libre_has_it && old.index + 64 > *model[old.stream].highest)
                FUZZ_CHECK(srtp_decrypt(receivers.libre, libre.get()) != 0);
            continue;
        }
        if (kind == 7 && !sealed.empty()) {  // a damaged packet, to ours only (libre's state is libre's)
            Bytes damaged = sealed[argument % sealed.size()].bytes;
            damaged[data[at + 3] % damaged.size()] ^= static_cast<std::uint8_t>(1u << (argument % 8));
            Packet ours(damaged);
            FUZZ_CHECK(!receivers.ours.unprotect(ours.get()));
            continue;
        }
        std::uint16_t &next = sequence[stream];
        switch (kind) {
        case 0:
        case 1:
        case 2: next = static_cast<std::uint16_t>(next + 1); break;       // in order, mostly
        case 3: next = static_cast<std::uint16_t>(next + argument); break;  // a jump (or a rollover)
        case 4: next = static_cast<std::uint16_t>(next - argument % 96); break;  // late, maybe too late
        default: break;                                                     // the same number again
        }
        Bytes plain = rtp(kSsrc[stream], next, payload);
        Packet packet(plain);
        std::int64_t index = model[stream].index_of(next);
        bool newest = index >= 0 && (!model[stream].highest || static_cast<std::uint64_t>(index) > *model[stream].highest);
        bool may = model[stream].may_seal(index);
        bool sealed_now = sender.protect(packet.get());
        FUZZ_CHECK(sealed_now == may);
        if (!sealed_now) {
            FUZZ_CHECK(packet.bytes() == plain);
            continue;
        }
        model[stream].seal(static_cast<std::uint64_t>(index));
        FUZZ_CHECK(packet.bytes().size() == plain.size() + Cipher::kTagSize);
        sealed.push_back({packet.bytes(), newest, stream, static_cast<std::uint64_t>(index)});
        Packet libre(sealed.back().bytes);
        FUZZ_CHECK(receivers.ours.unprotect(packet.get()));
        FUZZ_CHECK(packet.bytes() == plain);
        if (newest) {
            FUZZ_CHECK(srtp_decrypt(receivers.libre, libre.get()) == 0);
            FUZZ_CHECK(libre.bytes() == plain);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 2) return 0;
    if (SrtpGcm::available()) play<SrtpGcm>(data, size);
    play<SrtpAesCm>(data, size);
    return 0;
}

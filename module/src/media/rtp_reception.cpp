#include "media/rtp_reception.hpp"

namespace sylk::media {

namespace {

// RFC 3550 A.1's bounds: ahead by less than this is a gap; behind by less than
// kMaxMisorder is a late packet; anything else is a jump.
constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;
constexpr std::uint32_t kSequenceMod = 1u << 16;

// The arrival time in timestamp units, modulo 2^32 like RTP timestamps: whole seconds
// and the rest apart, so that the product cannot overflow.
std::uint32_t arrival_units(std::uint64_t arrival_us, std::uint32_t clock_rate) {
    std::uint64_t seconds = arrival_us / 1000000, rest = arrival_us % 1000000;
    return static_cast<std::uint32_t>(seconds * clock_rate + rest * clock_rate / 1000000);
}

}  // namespace

void RtpReception::receive(std::uint32_t ssrc, std::uint16_t sequence, std::uint32_t timestamp,
                           std::uint32_t clock_rate, std::uint64_t arrival_us) {
    if (!started_ || ssrc != ssrc_) start(ssrc, sequence);
    if (!count_sequence(sequence)) return;
    measure_jitter(timestamp, clock_rate, arrival_us);
}

void RtpReception::start(std::uint32_t ssrc, std::uint16_t sequence) {
    if (started_) {
        past_counted_ += counted_;
        past_expected_ += run_expected();
    }
    started_ = true;
    ssrc_ = ssrc;
    base_sequence_ = sequence;
    max_sequence_ = sequence;
    bad_sequence_ = kSequenceMod + 1;  // no sequence number equals it
    cycles_ = 0;
    counted_ = 0;
    has_transit_ = false;
    jitter16_ = 0;
}

// A.1's update_seq: whether the packet counts.
bool RtpReception::count_sequence(std::uint16_t sequence) {
    auto ahead = static_cast<std::uint16_t>(sequence - max_sequence_);
    if (ahead < kMaxDropout) {
        if (sequence < max_sequence_) cycles_ += kSequenceMod;  // wrapped
        max_sequence_ = sequence;
    } else if (ahead <= kSequenceMod - kMaxMisorder) {
        if (sequence != bad_sequence_) {
            bad_sequence_ = (sequence + 1u) & (kSequenceMod - 1);
            return false;  // a jump, unless the next packet confirms it
        }
        start(ssrc_, sequence);  // two in a row: the sender restarted its numbering
    }
    // else: a duplicate or a late packet, counted as received (A.3 allows a negative loss)
    ++counted_;
    return true;
}

// A.8: J += (|D| - J) / 16, with D the change in transit time between this packet and the previous.
void RtpReception::measure_jitter(std::uint32_t timestamp, std::uint32_t clock_rate, std::uint64_t arrival_us) {
    if (clock_rate == 0) return;
    if (clock_rate != clock_rate_) {  // another payload clock: transit times no longer compare
        clock_rate_ = clock_rate;
        has_transit_ = false;
    }
    std::uint32_t transit = arrival_units(arrival_us, clock_rate) - timestamp;
    if (has_transit_) {
        std::uint32_t change = transit - last_transit_;
        std::uint32_t distance = change > 0x80000000u ? 0u - change : change;  // |D|, modulo 2^32
        jitter16_ += distance - ((jitter16_ + 8) >> 4);
    }
    last_transit_ = transit;
    has_transit_ = true;
}

std::uint64_t RtpReception::run_expected() const {
    if (!started_ || counted_ == 0) return 0;  // a run that counted nothing expected nothing
    return std::uint64_t(cycles_) + max_sequence_ - base_sequence_ + 1;
}

RtpReception::Figures RtpReception::figures() const {
    Figures figures;
    figures.counted = past_counted_ + counted_;
    figures.expected = past_expected_ + run_expected();
    figures.lost = static_cast<std::int64_t>(figures.expected) - static_cast<std::int64_t>(figures.counted);
    if (clock_rate_) figures.jitter_ms = double(jitter16_) / 16.0 * 1000.0 / clock_rate_;
    return figures;
}

std::optional<std::uint32_t> RtpReception::ssrc() const {
    if (!started_) return std::nullopt;
    return ssrc_;
}

}  // namespace sylk::media

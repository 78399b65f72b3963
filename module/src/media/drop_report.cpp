#include "media/drop_report.hpp"

namespace sylk::media {

namespace {

// Every counter with its name, once: every function below walks the same lists.
using Browser = BrowserTransport::Drops;
struct BrowserField {
    const char *name;
    std::uint64_t Browser::*member;
};
constexpr BrowserField kBrowser[] = {
    {"not_secured", &Browser::not_secured},
    {"srtp_refused", &Browser::srtp_refused},
    {"srtp_send_refused", &Browser::srtp_send_refused},
    {"srtp_send_used_index", &Browser::srtp_send_used_index},
    {"srtcp_too_short", &Browser::srtcp_too_short},
    {"srtcp_not_encrypted", &Browser::srtcp_not_encrypted},
    {"srtcp_replayed", &Browser::srtcp_replayed},
    {"srtcp_too_old", &Browser::srtcp_too_old},
    {"srtcp_too_many_streams", &Browser::srtcp_too_many_streams},
    {"srtcp_refused", &Browser::srtcp_refused},
    {"srtcp_send_refused", &Browser::srtcp_send_refused},
};

using Phone = PhoneTransport::Drops;
struct PhoneField {
    const char *name;
    std::uint64_t Phone::*member;
};
constexpr PhoneField kPhone[] = {
    {"phone_unknown", &Phone::unknown_phone},
    {"phone_rtp_stranger", &Phone::rtp_stranger},
    {"phone_rtcp_stranger", &Phone::rtcp_stranger},
    {"phone_not_rtp", &Phone::not_rtp},
    {"phone_on_hold", &Phone::on_hold},
};

constexpr std::size_t kBrowserCount = std::size(kBrowser);
constexpr std::size_t kPhoneCount = std::size(kPhone);
static_assert(kDropReasons == kBrowserCount + kPhoneCount + 1, "kDropReasons counts every reason");

void append(std::string &out, const char *name, std::uint64_t value) {
    if (!value) return;
    if (!out.empty()) out += ' ';
    out += std::string(name) + "=" + std::to_string(value);
}

// SessionDrops or const SessionDrops: the counter's reference, const as the drops are.
template <class Drops>
auto &count_of(Drops &drops, std::size_t reason) {
    if (reason < kBrowserCount) return drops.browser.*kBrowser[reason].member;
    if (reason < kBrowserCount + kPhoneCount) return drops.phone.*kPhone[reason - kBrowserCount].member;
    return drops.unknown_payload_type;
}

}  // namespace

const char *drop_reason_name(std::size_t reason) {
    if (reason < kBrowserCount) return kBrowser[reason].name;
    if (reason < kBrowserCount + kPhoneCount) return kPhone[reason - kBrowserCount].name;
    return "unknown_payload_type";
}

std::uint64_t &drop_count(SessionDrops &drops, std::size_t reason) { return count_of(drops, reason); }
std::uint64_t drop_count(const SessionDrops &drops, std::size_t reason) { return count_of(drops, reason); }

void add(SessionDrops &total, const SessionDrops &more) {
    for (std::size_t reason = 0; reason < kDropReasons; ++reason)
        drop_count(total, reason) += drop_count(more, reason);
}

std::string describe(const SessionDrops &drops) {
    std::string out;
    for (std::size_t reason = 0; reason < kDropReasons; ++reason)
        append(out, drop_reason_name(reason), drop_count(drops, reason));
    return out.empty() ? "none" : out;
}

}  // namespace sylk::media

#include "media/drop_report.hpp"

namespace sylk::media {

namespace {

// Every counter with its name, once: add() and describe() walk the same list.
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
};

void append(std::string &out, const char *name, std::uint64_t value) {
    if (!value) return;
    if (!out.empty()) out += ' ';
    out += std::string(name) + "=" + std::to_string(value);
}

}  // namespace

void add(SessionDrops &total, const SessionDrops &more) {
    for (const auto &field : kBrowser) total.browser.*field.member += more.browser.*field.member;
    for (const auto &field : kPhone) total.phone.*field.member += more.phone.*field.member;
}

std::string describe(const SessionDrops &drops) {
    std::string out;
    for (const auto &field : kBrowser) append(out, field.name, drops.browser.*field.member);
    for (const auto &field : kPhone) append(out, field.name, drops.phone.*field.member);
    return out.empty() ? "none" : out;
}

}  // namespace sylk::media

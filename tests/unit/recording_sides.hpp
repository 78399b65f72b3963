// Recording fakes of the SIP side's and the media side's faces for calls, and the
// captured SDPs of real peers: what the gateway's and the call's unit tests drive.
#pragma once

#include "media/media_engine.hpp"
#include "sip/call_control.hpp"
#include "sip/call_types.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sylk::testing {

// Records what is asked of the SIP side for calls.
struct RecordingCalls : sip::CallControl {
    std::vector<sip::OutgoingCallSpec> placed;
    std::vector<std::pair<sip::CallId, std::string>> answered;
    std::vector<std::string> answer_headers;  // the extra header lines of each answer
    std::vector<std::pair<sip::CallId, std::uint16_t>> ended;
    void place_call(sip::OutgoingCallSpec spec) override { placed.push_back(std::move(spec)); }
    void answer_call(sip::CallId call, std::string sdp, std::string extra_headers) override {
        answered.emplace_back(call, std::move(sdp));
        answer_headers.push_back(std::move(extra_headers));
    }
    void end_call(sip::CallId call, std::uint16_t code) override { ended.emplace_back(call, code); }
    std::vector<std::pair<sip::CallId, char>> digits;
    void send_dtmf(sip::CallId call, char digit, unsigned) override { digits.emplace_back(call, digit); }
    struct UpdateAnswer {
        sip::CallId call;
        std::uint32_t seq;
        std::uint16_t code;
        std::string sdp;
    };
    std::vector<UpdateAnswer> update_answers;
    void answer_update(sip::CallId call, std::uint32_t seq, std::uint16_t code, std::string sdp) override {
        update_answers.push_back({call, seq, code, std::move(sdp)});
    }
    std::vector<std::pair<sip::CallId, std::string>> updates;
    void update_call(sip::CallId call, std::string sdp) override { updates.emplace_back(call, std::move(sdp)); }
};

// Records what is asked of the media side; hands out ports from 50000 up.
struct RecordingMedia : media::MediaEngine {
    std::vector<media::MediaSessionSpec> opened, updated;
    std::vector<media::MediaSessionId> closed;
    std::uint16_t next_port = 50000;
    bool exhausted = false;
    std::string fingerprint() const override { return "AA:BB"; }
    std::string media_address() const override { return "127.0.0.1"; }
    std::optional<media::PortReservation> reserve_ports(media::MediaSessionId, std::size_t lines) override {
        if (exhausted) return std::nullopt;
        media::PortReservation ports{next_port, {}};
        next_port += 2;
        for (std::size_t i = 0; i < lines; ++i, next_port += 2) ports.phone_ports.push_back(next_port);
        return ports;
    }
    std::optional<std::vector<std::uint16_t>> reserve_more_ports(media::MediaSessionId, std::size_t lines) override {
        if (exhausted) return std::nullopt;
        std::vector<std::uint16_t> ports;
        for (std::size_t i = 0; i < lines; ++i, next_port += 2) ports.push_back(next_port);
        return ports;
    }
    void open(media::MediaSessionSpec spec) override { opened.push_back(std::move(spec)); }
    void update(media::MediaSessionSpec spec) override { updated.push_back(std::move(spec)); }
    void close(media::MediaSessionId id) override { closed.push_back(id); }
};

// What the SIP side reports about call `id`.
inline sip::CallUpdate call_update(sip::CallId id, sip::CallUpdate::Kind kind, std::string sdp = {}, std::string reason = {}) {
    sip::CallUpdate update;
    update.id = id;
    update.kind = kind;
    update.sdp = std::move(sdp);
    update.reason = std::move(reason);
    return update;
}

// An SDP captured from a real peer (tests/fixtures/sdp).
inline std::string fixture_sdp(const std::string &name) {
    std::ifstream file(std::string(SYLK_FIXTURES_DIR) + "/sdp/" + name);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace sylk::testing

#include "call/relay_plan.hpp"

#include "access/address_policy.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sylk::call {

std::size_t count_bridged(const std::vector<sdp::MediaLine> &lines) {
    return static_cast<std::size_t>(
        std::count_if(lines.begin(), lines.end(), [](const sdp::MediaLine &line) { return line.bridged; }));
}

std::vector<media::BridgedLine> bridged_lines(const std::vector<sdp::MediaLine> &offered,
                                              const std::vector<sdp::MediaLine> *answered,
                                              const std::vector<sdp::RtpPeer> &peers,
                                              const media::PortReservation &ports) {
    std::vector<media::BridgedLine> bridged;
    std::size_t next_port = 0;
    for (std::size_t index = 0; index < offered.size(); ++index) {
        if (!offered[index].bridged) continue;
        const sdp::MediaLine &line = answered && index < answered->size() ? (*answered)[index] : offered[index];
        bool refused = answered && !line.bridged;
        media::BridgedLine media_line;
        media_line.kind = offered[index].kind;
        for (const auto &pair : line.payload_types)
            media_line.payload_types.push_back({pair.browser, pair.phone, pair.clock_rate, pair.telephone_event});
        if (media_line.payload_types.empty())  // the same numbers on both sides
            for (const auto &codec : line.codecs)
                if (auto number = sdp::payload_type_number(codec.payload_type))
                    media_line.payload_types.push_back({*number, *number, codec.clock_rate(), codec.is_telephone_event()});
        media_line.phone_port = next_port < ports.phone_ports.size() ? ports.phone_ports[next_port] : 0;
        ++next_port;
        if (!refused && index < peers.size()) media_line.phone = {peers[index].address, peers[index].port};
        // c=0.0.0.0 (RFC 2543 hold) names no destination: nothing is sent (Linux would
        // deliver a send to 0.0.0.0 to this host).
        if (is_unspecified(media_line.phone.address)) media_line.phone.port = 0;
        bridged.push_back(std::move(media_line));
    }
    return bridged;
}

media::BrowserParameters browser_parameters(const sdp::WebRtcParameters &browser) {
    return {browser.ice_ufrag, browser.ice_pwd, browser.fingerprint_algorithm, browser.fingerprint, browser.setup};
}

sdp::GatewayRtp gateway_rtp(const std::string &address, const std::vector<sdp::MediaLine> &lines,
                            const media::PortReservation &ports) {
    sdp::GatewayRtp rtp{address, {}};
    std::size_t next_port = 0;
    for (const auto &line : lines) {
        bool has_port = line.bridged && next_port < ports.phone_ports.size();
        rtp.ports.push_back(has_port ? ports.phone_ports[next_port++] : 0);
    }
    return rtp;
}

sdp::GatewayWebRtc gateway_webrtc(const media::MediaEngine &media, const media::MediaSessionSpec &spec) {
    return {media.media_address(), spec.ports.browser_port, spec.local_ice_ufrag, spec.local_ice_pwd,
            media.fingerprint()};
}

bool is_unspecified(const std::string &address) {
    auto bytes = access::parse_address(address);
    return bytes && (*bytes == *access::parse_address("0.0.0.0") || *bytes == *access::parse_address("::"));
}

std::string random_ice_token(std::size_t length) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string bytes(length, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), static_cast<int>(length)) != 1)
        throw std::runtime_error("no randomness for ICE credentials");
    for (auto &c : bytes) c = alphabet[static_cast<unsigned char>(c) % (sizeof alphabet - 1)];
    return bytes;
}

}  // namespace sylk::call

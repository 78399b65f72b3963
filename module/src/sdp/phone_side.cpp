#include "sdp/phone_side.hpp"

#include <algorithm>

namespace sylk::sdp {

namespace {

bool is_plain_rtp(const MediaSection &section) {
    return (section.media == "audio" || section.media == "video") &&
           (section.protocol == "RTP/AVP" || section.protocol == "RTP/AVPF");
}

RtpPeer peer_of(const SessionDescription &description, const MediaSection &section) {
    auto address = section.connection_address();
    if (!address) address = description.connection_address();
    if (!address || *address == "0.0.0.0") return {};  // on hold the old way, or no address: nothing to send to
    return {*address, section.port};
}

std::vector<Line> session_header(const std::string &session_id, const std::string &address, unsigned version) {
    return {{'v', "0"}, {'o', "- " + session_id + " " + std::to_string(version) + " IN IP4 " + address}, {'s', "-"},
            {'c', "IN IP4 " + address}, {'t', "0 0"}};
}

MediaSection plain_section(const MediaLine &line, std::uint16_t port) {
    MediaSection section;
    section.media = line.kind;
    section.port = port;
    section.protocol = "RTP/AVP";
    write_codecs(section, line.codecs, false);
    section.lines.push_back({'a', line.direction});
    return section;
}

MediaSection refused_section(const MediaLine &line) {
    MediaSection section;
    section.media = line.kind;
    section.port = 0;
    section.protocol = line.protocol.empty() ? "RTP/AVP" : line.protocol;
    section.formats.push_back(line.first_format.empty() ? "0" : line.first_format);
    return section;
}

}  // namespace

std::variant<PhoneDescription, std::string> read_phone_offer(const SessionDescription &offer) {
    PhoneDescription result;
    for (std::size_t index = 0; index < offer.media.size(); ++index) {
        const MediaSection &section = offer.media[index];
        MediaLine line;
        line.kind = section.media;
        line.mid = std::to_string(index);
        line.protocol = section.protocol;
        line.first_format = section.formats.empty() ? "" : section.formats.front();
        line.direction = read_direction(section);
        RtpPeer peer;
        if (is_plain_rtp(section) && section.port != 0) {
            // As on the browser side: retransmission and redundancy formats are not media,
            // and a line with nothing else cannot be bridged (the browser would refuse it).
            for (auto &codec : read_codecs(section))
                if (is_bridgeable(codec)) line.codecs.push_back(std::move(codec));
            line.bridged = !line.codecs.empty();
            peer = peer_of(offer, section);
        }
        result.lines.push_back(std::move(line));
        result.peers.push_back(peer);
    }
    if (std::none_of(result.lines.begin(), result.lines.end(), [](const MediaLine &line) { return line.bridged; }))
        return std::string("no audio or video over RTP/AVP in the offer");
    result.origin = offer.origin();
    return result;
}

std::variant<PhoneDescription, std::string> read_phone_answer(const SessionDescription &answer,
                                                              const std::vector<MediaLine> &offered) {
    std::size_t sent = static_cast<std::size_t>(
        std::count_if(offered.begin(), offered.end(), [](const MediaLine &line) { return line.bridged; }));
    // RFC 3264 wants one answered line per offered line; sipp's built-in answer has
    // just its audio line, so missing trailing lines count as refused.
    if (answer.media.size() > sent)
        return "the answer has " + std::to_string(answer.media.size()) + " m-lines for " + std::to_string(sent) +
               " offered";
    PhoneDescription result;
    std::size_t next = 0;  // the answer's lines follow the bridged offered lines, in order
    for (const auto &offered_line : offered) {
        MediaLine line = offered_line;
        line.codecs.clear();
        RtpPeer peer;
        if (offered_line.bridged && next < answer.media.size()) {
            const MediaSection &section = answer.media[next++];
            line.direction = read_direction(section);
            if (section.port != 0 && is_plain_rtp(section)) {
                MatchedCodecs matched = match_codecs(offered_line.codecs, read_codecs(section));
                line.codecs = std::move(matched.codecs);
                for (std::size_t match = 0; match < matched.numbers.size(); ++match) {
                    const auto &[offered_number, answered_number] = matched.numbers[match];
                    line.payload_types.push_back({*payload_type_number(offered_number),  // read_codecs checked both
                                                  *payload_type_number(answered_number),
                                                  line.codecs[match].clock_rate(),  // the matched codecs, moved
                                                  line.codecs[match].is_telephone_event()});
                }
                peer = peer_of(answer, section);
            }
        }
        line.bridged = !line.codecs.empty();
        result.lines.push_back(std::move(line));
        result.peers.push_back(peer);
    }
    result.origin = answer.origin();
    return result;
}

SessionDescription write_phone_offer(const std::vector<MediaLine> &lines, const GatewayRtp &gateway,
                                     const std::string &session_id, unsigned version) {
    SessionDescription offer;
    offer.session_lines = session_header(session_id, gateway.address, version);
    for (std::size_t index = 0; index < lines.size(); ++index)
        if (lines[index].bridged)
            offer.media.push_back(plain_section(lines[index], index < gateway.ports.size() ? gateway.ports[index] : 0));
    return offer;
}

SessionDescription write_phone_lines(const std::vector<MediaLine> &lines, const GatewayRtp &gateway,
                                     const std::string &session_id, unsigned version) {
    SessionDescription description;
    description.session_lines = session_header(session_id, gateway.address, version);
    for (std::size_t index = 0; index < lines.size(); ++index)
        description.media.push_back(lines[index].bridged ? plain_section(lines[index], index < gateway.ports.size() ? gateway.ports[index] : 0)
                                                        : refused_section(lines[index]));
    return description;
}

SessionDescription write_phone_answer(const std::vector<MediaLine> &offered, const std::vector<MediaLine> &answered,
                                      const GatewayRtp &gateway, const std::string &session_id,
                                      unsigned version) {
    SessionDescription answer;
    answer.session_lines = session_header(session_id, gateway.address, version);
    for (std::size_t index = 0; index < offered.size(); ++index) {
        bool accepted = index < answered.size() && answered[index].bridged;
        answer.media.push_back(accepted ? plain_section(answered[index], index < gateway.ports.size() ? gateway.ports[index] : 0)
                                        : refused_section(offered[index]));
    }
    return answer;
}

}  // namespace sylk::sdp

#include "sdp/browser_side.hpp"

#include <algorithm>

namespace sylk::sdp {

namespace {

bool is_rtp_media(const MediaSection &section) {
    return (section.media == "audio" || section.media == "video") &&
           section.protocol.find("RTP/SAVP") != std::string::npos;  // UDP/TLS/RTP/SAVPF, RTP/SAVPF
}

// ICE and DTLS parameters: at session level, or on the first m-line that has them.
std::optional<std::string> transport_attribute(const SessionDescription &description, std::string_view name) {
    if (auto value = description.attribute(name)) return value;
    for (const auto &section : description.media)
        if (auto value = section.attribute(name)) return value;
    return std::nullopt;
}

std::variant<WebRtcParameters, std::string> read_parameters(const SessionDescription &description) {
    WebRtcParameters parameters;
    auto ufrag = transport_attribute(description, "ice-ufrag");
    auto pwd = transport_attribute(description, "ice-pwd");
    if (!ufrag || !pwd || ufrag->empty() || pwd->empty()) return std::string("the SDP has no ICE credentials");
    auto fingerprint = transport_attribute(description, "fingerprint");
    auto space = fingerprint ? fingerprint->find(' ') : std::string::npos;
    if (space == std::string::npos) return std::string("the SDP has no DTLS fingerprint");
    parameters.ice_ufrag = *ufrag;
    parameters.ice_pwd = *pwd;
    parameters.fingerprint_algorithm = fingerprint->substr(0, space);
    std::transform(parameters.fingerprint_algorithm.begin(), parameters.fingerprint_algorithm.end(),
                   parameters.fingerprint_algorithm.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    parameters.fingerprint = fingerprint->substr(space + 1);
    parameters.setup = transport_attribute(description, "setup").value_or("actpass");
    return parameters;
}

std::string mid_of(const MediaSection &section, std::size_t index) {
    return section.attribute("mid").value_or(std::to_string(index));
}

std::vector<Line> session_header(const std::string &session_id, const std::string &address,
                                 const std::vector<MediaLine> &lines, unsigned version = 1) {
    std::vector<Line> header{{'v', "0"},
                             {'o', "- " + session_id + " " + std::to_string(version) + " IN IP4 " + address},
                             {'s', "-"},
                             {'t', "0 0"},
                             {'a', "ice-lite"}};
    std::string group = "group:BUNDLE";
    for (const auto &line : lines)
        if (line.bridged) group += " " + line.mid;
    if (group.back() != 'E') header.push_back({'a', group});  // not when every line is refused
    header.push_back({'a', "msid-semantic: WMS"});
    return header;
}

// The transport lines every bundled m-line repeats (RFC 8843 lets the others omit
// them, but repeating keeps the SDP readable alone).
void add_transport(MediaSection &section, const GatewayWebRtc &gateway, const std::string &setup) {
    section.lines.push_back({'c', "IN IP4 " + gateway.address});
    section.lines.push_back({'a', "rtcp:" + std::to_string(gateway.port) + " IN IP4 " + gateway.address});
    section.lines.push_back({'a', "ice-ufrag:" + gateway.ice_ufrag});
    section.lines.push_back({'a', "ice-pwd:" + gateway.ice_pwd});
    section.lines.push_back({'a', "fingerprint:sha-256 " + gateway.fingerprint});
    section.lines.push_back({'a', "setup:" + setup});
    section.lines.push_back({'a', "candidate:1 1 udp 2130706431 " + gateway.address + " " +
                                      std::to_string(gateway.port) + " typ host"});
    section.lines.push_back({'a', "end-of-candidates"});
}

MediaSection refused_section(const MediaLine &line) {
    MediaSection section;
    section.media = line.kind;
    section.port = 0;
    section.protocol = line.protocol.empty() ? "UDP/TLS/RTP/SAVPF" : line.protocol;
    section.formats.push_back(line.first_format.empty() ? "0" : line.first_format);
    section.lines.push_back({'c', "IN IP4 0.0.0.0"});
    section.lines.push_back({'a', "mid:" + line.mid});
    section.lines.push_back({'a', "inactive"});
    return section;
}

MediaSection bridged_section(const MediaLine &line, const GatewayWebRtc &gateway, const std::string &setup) {
    MediaSection section;
    section.media = line.kind;
    section.port = gateway.port;
    section.protocol = "UDP/TLS/RTP/SAVPF";
    add_transport(section, gateway, setup);
    section.lines.push_back({'a', "mid:" + line.mid});
    section.lines.push_back({'a', line.direction});
    section.lines.push_back({'a', "rtcp-mux"});
    // Feedback only where a phone can take part: NACK/PLI/FIR reach it as plain RTCP;
    // transport-cc and REMB would need the gateway to produce the reports.
    std::vector<Codec> codecs = line.codecs;
    for (auto &codec : codecs)
        codec.feedback.erase(std::remove_if(codec.feedback.begin(), codec.feedback.end(),
                                            [](const std::string &feedback) {
                                                return feedback != "nack" && feedback != "nack pli" &&
                                                       feedback != "ccm fir";
                                            }),
                             codec.feedback.end());
    write_codecs(section, codecs, true);
    return section;
}

}  // namespace

std::variant<BrowserDescription, std::string> read_browser_offer(const SessionDescription &offer) {
    auto parameters = read_parameters(offer);
    if (auto *problem = std::get_if<std::string>(&parameters)) return *problem;
    BrowserDescription result;
    result.peer = std::get<WebRtcParameters>(parameters);
    for (std::size_t index = 0; index < offer.media.size(); ++index) {
        const MediaSection &section = offer.media[index];
        MediaLine line;
        line.kind = section.media;
        line.mid = mid_of(section, index);
        line.protocol = section.protocol;
        line.first_format = section.formats.empty() ? "" : section.formats.front();
        line.direction = read_direction(section);
        if (is_rtp_media(section) && section.port != 0) {
            for (auto &codec : read_codecs(section))
                if (is_bridgeable(codec)) line.codecs.push_back(std::move(codec));
            line.bridged = !line.codecs.empty();
        }
        result.lines.push_back(std::move(line));
    }
    if (std::none_of(result.lines.begin(), result.lines.end(), [](const MediaLine &line) { return line.bridged; }))
        return std::string("the offer has no audio or video a SIP phone can take");
    return result;
}

std::variant<BrowserDescription, std::string> read_browser_answer(const SessionDescription &answer,
                                                                  const std::vector<MediaLine> &offered) {
    if (answer.media.size() != offered.size())
        return "the answer has " + std::to_string(answer.media.size()) + " m-lines for " +
               std::to_string(offered.size()) + " offered";
    auto parameters = read_parameters(answer);
    if (auto *problem = std::get_if<std::string>(&parameters)) return *problem;
    BrowserDescription result;
    result.peer = std::get<WebRtcParameters>(parameters);
    for (std::size_t index = 0; index < offered.size(); ++index) {
        const MediaSection &section = answer.media[index];
        MediaLine line = offered[index];
        line.codecs.clear();
        line.direction = read_direction(section);
        if (offered[index].bridged && section.port != 0 && is_rtp_media(section)) {
            MatchedCodecs matched = match_codecs(offered[index].codecs, read_codecs(section));
            line.codecs = std::move(matched.codecs);
        }
        line.bridged = !line.codecs.empty();
        result.lines.push_back(std::move(line));
    }
    return result;
}

SessionDescription write_browser_offer(const std::vector<MediaLine> &lines, const GatewayWebRtc &gateway,
                                       const std::string &session_id, unsigned version) {
    SessionDescription offer;
    offer.session_lines = session_header(session_id, gateway.address, lines, version);
    for (const auto &line : lines)
        offer.media.push_back(line.bridged ? bridged_section(line, gateway, "actpass") : refused_section(line));
    return offer;
}

SessionDescription write_browser_answer(const std::vector<MediaLine> &offered, const std::vector<MediaLine> &answered,
                                        const GatewayWebRtc &gateway, const std::string &session_id, unsigned version) {
    SessionDescription answer;
    std::vector<MediaLine> lines;
    for (std::size_t index = 0; index < offered.size(); ++index) {
        MediaLine line = index < answered.size() ? answered[index] : offered[index];
        if (index >= answered.size()) line.bridged = false;
        line.kind = offered[index].kind;
        line.mid = offered[index].mid;
        line.protocol = offered[index].protocol;
        line.first_format = offered[index].first_format;
        lines.push_back(std::move(line));
    }
    answer.session_lines = session_header(session_id, gateway.address, lines, version);
    for (const auto &line : lines)
        answer.media.push_back(line.bridged ? bridged_section(line, gateway, "passive") : refused_section(line));
    return answer;
}

}  // namespace sylk::sdp

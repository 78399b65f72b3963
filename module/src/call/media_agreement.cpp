#include "call/media_agreement.hpp"

#include "call/relay_plan.hpp"
#include "sdp/phone_side.hpp"

#include <algorithm>

namespace sylk::call {

namespace {

bool sends(const std::string &direction) { return direction == "sendrecv" || direction == "sendonly"; }
bool receives(const std::string &direction) { return direction == "sendrecv" || direction == "recvonly"; }

std::string direction_of(bool send, bool receive) {
    if (send && receive) return "sendrecv";
    if (send) return "sendonly";
    if (receive) return "recvonly";
    return "inactive";
}

// A codec that carries media (telephone-event alone does not make a call).
bool is_media(const sdp::Codec &codec) {
    return !codec.is_telephone_event() && codec.match_key().rfind("cn/", 0) != 0;
}

// One of the phone's lines, offered or answered in the dialog, taken into `line`: its
// codecs matched against those carried (their browser numbers kept), its direction and
// address. Error text when it carries no media codec the browser has.
std::optional<std::string> take_phone_line(AgreedLine &line, const sdp::MediaLine &phone, const sdp::RtpPeer &peer) {
    if (!phone.bridged) {  // the phone turned the line off (port 0)
        line.codecs.clear();
        line.phone = {};
        return std::nullopt;
    }
    std::vector<sdp::Codec> carried;
    for (const auto &codec : line.codecs) carried.push_back(codec.phone);
    sdp::MatchedCodecs matched = sdp::match_codecs(carried, phone.codecs);
    std::vector<CarriedCodec> taken;
    for (std::size_t index = 0; index < matched.numbers.size(); ++index) {
        const auto &[current, now] = matched.numbers[index];
        auto was = std::find_if(line.codecs.begin(), line.codecs.end(),
                                [&current = current](const CarriedCodec &codec) { return codec.phone.payload_type == current; });
        auto described = std::find_if(phone.codecs.begin(), phone.codecs.end(),
                                      [&now = now](const sdp::Codec &codec) { return codec.payload_type == now; });
        if (was == line.codecs.end() || described == phone.codecs.end()) continue;
        taken.push_back({*described, was->browser_type});
    }
    if (std::none_of(taken.begin(), taken.end(), [](const CarriedCodec &codec) { return is_media(codec.phone); }))
        return "no codec the browser carries on the " + line.kind + " line";
    line.codecs = std::move(taken);
    line.phone_direction = phone.direction;
    line.phone = peer;
    return std::nullopt;
}

// The lines as the phone sees them, in its order: ours, with our direction.
std::vector<sdp::MediaLine> phone_section_lines(const MediaAgreement &agreement, bool answering,
                                                const std::vector<sdp::MediaLine> *offered) {
    std::vector<sdp::MediaLine> lines;
    for (std::size_t section = 0; section < agreement.phone_sections.size(); ++section) {
        const AgreedLine &agreed = agreement.lines[agreement.phone_sections[section]];
        sdp::MediaLine line;
        line.kind = agreed.kind;
        line.protocol = agreed.protocol;
        line.first_format = agreed.first_format;
        line.bridged = agreed.carried();
        for (const auto &codec : agreed.codecs) line.codecs.push_back(codec.phone);
        line.direction = answering ? answer_direction(agreed.phone_direction, agreed.browser_direction)
                                   : agreed.browser_direction;
        if (!line.bridged && offered && section < offered->size()) {  // refused as the offer wrote it
            line.protocol = (*offered)[section].protocol;
            line.first_format = (*offered)[section].first_format;
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

sdp::GatewayRtp section_ports(const MediaAgreement &agreement, const sdp::GatewayRtp &gateway, std::size_t sections) {
    sdp::GatewayRtp rtp{gateway.address, {}};
    for (std::size_t section = 0; section < sections; ++section) {
        std::size_t line = section < agreement.phone_sections.size() ? agreement.phone_sections[section] : SIZE_MAX;
        rtp.ports.push_back(line < gateway.ports.size() ? gateway.ports[line] : 0);
    }
    return rtp;
}

// Our description for the phone, its version one more only when it says something new.
std::string versioned(MediaAgreement &agreement, const std::vector<sdp::MediaLine> &lines, const sdp::GatewayRtp &rtp,
                      const std::string &session_id) {
    std::string text = sdp::serialize(sdp::write_phone_lines(lines, rtp, session_id, agreement.local_version));
    if (text != agreement.local_description) {
        ++agreement.local_version;
        text = sdp::serialize(sdp::write_phone_lines(lines, rtp, session_id, agreement.local_version));
    }
    agreement.local_description = text;
    return text;
}

}  // namespace

// Every carried line says, on `side`'s behalf, that it does not receive (and one does).
static bool holds(const std::vector<AgreedLine> &lines, std::string AgreedLine::*side) {
    bool any = false;
    for (const auto &line : lines) {
        if (!line.carried()) continue;
        any = true;
        if (receives(line.*side)) return false;
    }
    return any;
}

bool MediaAgreement::held_by_phone() const { return holds(lines, &AgreedLine::phone_direction); }

bool MediaAgreement::held_by_browser() const { return holds(lines, &AgreedLine::browser_direction); }

MediaAgreement agree(const std::vector<sdp::MediaLine> &offer, const std::vector<sdp::MediaLine> &answer,
                     const std::vector<sdp::RtpPeer> &phone_peers, bool browser_offered,
                     const std::string &phone_origin, const std::string &local_description) {
    MediaAgreement agreement;
    agreement.phone_origin = phone_origin;
    agreement.local_description = local_description;
    for (std::size_t index = 0; index < offer.size(); ++index) {
        const sdp::MediaLine &offered = offer[index];
        const sdp::MediaLine *answered = index < answer.size() ? &answer[index] : nullptr;
        AgreedLine line;
        line.kind = offered.kind;
        line.relayed = offered.bridged;
        // What the phone saw on the line: our RTP/AVP offer of the browser's codecs, or its own.
        line.protocol = browser_offered ? "RTP/AVP" : offered.protocol;
        line.first_format = browser_offered ? (offered.codecs.empty() ? offered.first_format
                                                                      : offered.codecs.front().payload_type)
                                            : offered.first_format;
        std::string answered_direction = answered ? answered->direction : "sendrecv";
        line.phone_direction = browser_offered ? answered_direction : offered.direction;
        line.browser_direction = browser_offered ? offered.direction : answered_direction;
        if (index < phone_peers.size()) line.phone = phone_peers[index];
        if (offered.bridged && answered && answered->bridged) {
            for (const auto &codec : answered->codecs) {  // under the offer's numbers
                auto number = sdp::payload_type_number(codec.payload_type);
                if (!number) continue;
                std::uint8_t browser = *number, phone = *number;
                for (const auto &pair : answered->payload_types)
                    if ((browser_offered ? pair.browser : pair.phone) == *number) {
                        browser = pair.browser;
                        phone = pair.phone;
                        break;
                    }
                CarriedCodec carried{codec, browser};
                if (!browser_offered) {  // the phone's own description of it, from its offer
                    auto own = std::find_if(offered.codecs.begin(), offered.codecs.end(),
                                            [&codec](const sdp::Codec &candidate) { return candidate.payload_type == codec.payload_type; });
                    if (own != offered.codecs.end()) carried.phone = *own;
                }
                carried.phone.payload_type = std::to_string(phone);
                line.codecs.push_back(std::move(carried));
            }
        }
        agreement.lines.push_back(std::move(line));
        // Our offer to a phone carries only the lines we bridge; a phone's offer, all of its own.
        if (!browser_offered || offered.bridged) agreement.phone_sections.push_back(index);
    }
    return agreement;
}

std::string answer_direction(const std::string &offered, const std::string &wanted) {
    return direction_of(receives(offered) && sends(wanted), sends(offered) && receives(wanted));
}

std::variant<ReofferAnswer, std::string> answer_phone_reoffer(const MediaAgreement &agreement,
                                                              const sdp::SessionDescription &offer,
                                                              const sdp::GatewayRtp &gateway,
                                                              const std::string &session_id) {
    auto read = sdp::read_phone_offer(offer);
    if (auto *problem = std::get_if<std::string>(&read)) return *problem;
    auto &phone = std::get<sdp::PhoneDescription>(read);
    if (phone.lines.size() < agreement.phone_sections.size())
        return "the offer has " + std::to_string(phone.lines.size()) + " m-lines where the call has " +
               std::to_string(agreement.phone_sections.size()) + " (RFC 3264 8)";
    ReofferAnswer result{{}, agreement};
    MediaAgreement &next = result.agreement;
    for (std::size_t section = 0; section < agreement.phone_sections.size(); ++section) {
        AgreedLine &line = next.lines[agreement.phone_sections[section]];
        if (!line.carried()) continue;
        if (auto problem = take_phone_line(line, phone.lines[section], phone.peers[section])) return *problem;
    }
    next.phone_origin = phone.origin;
    // Lines added at the end (video added) are refused: carrying them needs the browser.
    // They stay in the dialog's m-lines (RFC 3264 8: no description has fewer again).
    for (std::size_t added = agreement.phone_sections.size(); added < phone.lines.size(); ++added) {
        AgreedLine refused;
        refused.kind = phone.lines[added].kind;
        refused.protocol = phone.lines[added].protocol;
        refused.first_format = phone.lines[added].first_format;
        next.phone_sections.push_back(next.lines.size());
        next.lines.push_back(std::move(refused));
    }
    auto lines = phone_section_lines(next, true, &phone.lines);
    result.answer = versioned(next, lines, section_ports(next, gateway, lines.size()), session_id);
    return result;
}

// A mid the plan does not use yet, for a line the phone adds.
static std::string fresh_mid(const std::vector<sdp::MediaLine> &lines) {
    for (std::size_t candidate = lines.size();; ++candidate) {
        std::string mid = std::to_string(candidate);
        if (std::none_of(lines.begin(), lines.end(), [&mid](const sdp::MediaLine &line) { return line.mid == mid; }))
            return mid;
    }
}

std::optional<std::vector<sdp::MediaLine>> browser_reoffer_lines(const MediaAgreement &agreement,
                                                                 const std::vector<sdp::MediaLine> &plan,
                                                                 const sdp::PhoneDescription &reoffer) {
    if (reoffer.lines.size() < agreement.phone_sections.size()) return std::nullopt;
    bool adds = reoffer.lines.size() > agreement.phone_sections.size();
    if (adds && agreement.lines.size() != plan.size()) return std::nullopt;  // lines it added before stay refused
    std::vector<sdp::MediaLine> lines = plan;
    for (std::size_t section = agreement.phone_sections.size(); section < reoffer.lines.size(); ++section) {
        sdp::MediaLine added = reoffer.lines[section];  // video added: a new line for the browser too
        added.mid = fresh_mid(lines);
        added.protocol = "UDP/TLS/RTP/SAVPF";
        lines.push_back(std::move(added));
    }
    std::size_t added_from = plan.size();
    for (std::size_t index = 0; index < added_from; ++index) lines[index].bridged = false;
    for (std::size_t section = 0; section < agreement.phone_sections.size(); ++section) {
        std::size_t index = agreement.phone_sections[section];
        if (index >= added_from || !agreement.lines[index].relayed) continue;  // no relay line to carry it
        sdp::MediaLine line = reoffer.lines[section];
        line.mid = plan[index].mid;
        line.protocol = plan[index].protocol;
        line.first_format = plan[index].first_format;
        lines[index] = std::move(line);
    }
    return lines;
}

std::variant<ReofferAnswer, std::string> answer_phone_reoffer_as_browser_did(const MediaAgreement &agreement,
                                                                             const sdp::PhoneDescription &reoffer,
                                                                             const std::vector<sdp::MediaLine> &browser,
                                                                             const sdp::GatewayRtp &gateway,
                                                                             const std::string &session_id) {
    ReofferAnswer result{{}, agreement};
    MediaAgreement &next = result.agreement;
    for (std::size_t section = agreement.phone_sections.size(); section < reoffer.lines.size(); ++section) {
        AgreedLine added;  // video added: relayed on a pair the call holds for it
        added.kind = reoffer.lines[section].kind;
        added.relayed = reoffer.lines[section].bridged;
        added.protocol = reoffer.lines[section].protocol;
        added.first_format = reoffer.lines[section].first_format;
        next.phone_sections.push_back(next.lines.size());
        next.lines.push_back(std::move(added));
    }
    for (std::size_t section = 0; section < next.phone_sections.size() && section < reoffer.lines.size(); ++section) {
        std::size_t index = next.phone_sections[section];
        AgreedLine &line = next.lines[index];
        line.codecs.clear();
        line.phone = {};
        const sdp::MediaLine &phone = reoffer.lines[section];
        if (!phone.bridged || index >= browser.size() || !browser[index].bridged) continue;
        for (const auto &codec : browser[index].codecs) {  // under the phone's numbers, as we offered them
            auto described = std::find_if(phone.codecs.begin(), phone.codecs.end(),
                                          [&codec](const sdp::Codec &c) { return c.payload_type == codec.payload_type; });
            auto number = sdp::payload_type_number(codec.payload_type);
            if (described == phone.codecs.end() || !number) continue;
            std::uint8_t browser_type = *number;
            for (const auto &pair : browser[index].payload_types)
                if (pair.phone == *number) browser_type = pair.browser;
            line.codecs.push_back({*described, browser_type});
        }
        if (std::none_of(line.codecs.begin(), line.codecs.end(), [](const CarriedCodec &c) { return is_media(c.phone); }))
            return "the browser took no codec of the " + line.kind + " line";
        line.phone_direction = phone.direction;
        line.browser_direction = browser[index].direction;
        line.phone = reoffer.peers[section];
    }
    if (std::none_of(next.lines.begin(), next.lines.end(), [](const AgreedLine &line) { return line.carried(); }))
        return std::string("the browser took none of the phone's lines");
    next.phone_origin = reoffer.origin;
    auto lines = phone_section_lines(next, true, &reoffer.lines);
    result.answer = versioned(next, lines, section_ports(next, gateway, lines.size()), session_id);
    return result;
}

AgreedLine browser_added_line(const sdp::MediaLine &browser_line) {
    AgreedLine line;
    line.kind = browser_line.kind;
    line.relayed = true;
    line.protocol = "RTP/AVP";
    line.browser_direction = browser_line.direction;
    for (const auto &codec : browser_line.codecs)
        if (auto number = sdp::payload_type_number(codec.payload_type)) line.codecs.push_back({codec, *number});
    line.first_format = line.codecs.empty() ? browser_line.first_format : line.codecs.front().phone.payload_type;
    return line;
}

std::string phone_offer(MediaAgreement &agreement, const sdp::GatewayRtp &gateway, const std::string &session_id) {
    auto lines = phone_section_lines(agreement, false, nullptr);
    return versioned(agreement, lines, section_ports(agreement, gateway, lines.size()), session_id);
}

std::variant<MediaAgreement, std::string> take_phone_answer(const MediaAgreement &offered,
                                                            const sdp::SessionDescription &answer) {
    auto read = sdp::read_phone_offer(answer);  // a phone's description, whichever way it goes
    if (auto *problem = std::get_if<std::string>(&read)) return *problem;
    auto &phone = std::get<sdp::PhoneDescription>(read);
    if (phone.lines.size() != offered.phone_sections.size())
        return "the answer has " + std::to_string(phone.lines.size()) + " m-lines for " +
               std::to_string(offered.phone_sections.size()) + " offered";
    MediaAgreement next = offered;
    for (std::size_t section = 0; section < offered.phone_sections.size(); ++section) {
        AgreedLine &line = next.lines[offered.phone_sections[section]];
        if (!line.carried()) continue;
        if (auto problem = take_phone_line(line, phone.lines[section], phone.peers[section])) return *problem;
    }
    next.phone_origin = phone.origin;
    return next;
}

std::vector<sdp::MediaLine> browser_answer_lines(const MediaAgreement &agreement,
                                                 const std::vector<sdp::MediaLine> &browser_offer) {
    std::vector<sdp::MediaLine> lines;
    for (std::size_t index = 0; index < browser_offer.size(); ++index) {
        sdp::MediaLine line = browser_offer[index];
        line.codecs.clear();
        line.payload_types.clear();
        if (index < agreement.lines.size()) {
            const AgreedLine &agreed = agreement.lines[index];
            for (const auto &codec : browser_offer[index].codecs) {
                auto number = sdp::payload_type_number(codec.payload_type);
                bool carried = number && std::any_of(agreed.codecs.begin(), agreed.codecs.end(),
                                                     [&number](const CarriedCodec &c) { return c.browser_type == *number; });
                if (carried) line.codecs.push_back(codec);
            }
            // Towards the browser the gateway speaks for the phone.
            line.direction = answer_direction(browser_offer[index].direction, agreed.phone_direction);
        }
        line.bridged = !line.codecs.empty();
        lines.push_back(std::move(line));
    }
    return lines;
}

std::vector<media::BridgedLine> agreed_relay_lines(const MediaAgreement &agreement, const media::PortReservation &ports) {
    std::vector<media::BridgedLine> relay;
    std::size_t next_port = 0;
    for (const auto &line : agreement.lines) {
        if (!line.relayed) continue;
        media::BridgedLine bridged;
        bridged.kind = line.kind;
        for (const auto &codec : line.codecs)
            if (auto number = sdp::payload_type_number(codec.phone.payload_type))
                bridged.payload_types.push_back(
                    {codec.browser_type, *number, codec.phone.clock_rate(), codec.phone.is_telephone_event()});
        bridged.phone_port = next_port < ports.phone_ports.size() ? ports.phone_ports[next_port] : 0;
        ++next_port;
        if (line.carried() && !is_unspecified(line.phone.address)) {
            bridged.phone = {line.phone.address, line.phone.port};
            bridged.phone.receives = receives(line.phone_direction) && sends(line.browser_direction);
            bridged.phone.sends = sends(line.phone_direction) && receives(line.browser_direction);
        }
        relay.push_back(std::move(bridged));
    }
    return relay;
}

}  // namespace sylk::call

#include "sdp/media_plan.hpp"

#include "sdp/session_description.hpp"

#include <algorithm>
#include <cctype>

namespace sylk::sdp {

namespace {

// "111 opus/48000/2" -> {"111", "opus/48000/2"}
std::pair<std::string_view, std::string_view> split_payload(std::string_view value) {
    auto space = value.find(' ');
    if (space == std::string_view::npos) return {value, {}};
    return {value.substr(0, space), value.substr(space + 1)};
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace

std::optional<std::uint8_t> payload_type_number(std::string_view text) {
    if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;
    int number = std::stoi(std::string(text));
    if (number > 127) return std::nullopt;
    return static_cast<std::uint8_t>(number);
}

std::string Codec::match_key() const {
    std::string_view text(encoding);
    auto slash = text.find('/');
    std::string name = lowercase(text.substr(0, slash));
    if (slash == std::string_view::npos) return name;
    auto rest = text.substr(slash + 1);
    return name + "/" + std::string(rest.substr(0, rest.find('/')));
}

std::uint32_t Codec::clock_rate() const {
    std::string_view text(encoding);
    auto slash = text.find('/');
    if (slash != std::string_view::npos) {
        auto rate = text.substr(slash + 1);
        rate = rate.substr(0, rate.find('/'));
        if (rate.empty() || rate.size() > 9 || !std::all_of(rate.begin(), rate.end(), [](unsigned char c) { return std::isdigit(c); }))
            return 0;
        return static_cast<std::uint32_t>(std::stoul(std::string(rate)));
    }
    if (!encoding.empty()) return 0;
    // RFC 3551's static payload types (G.722's RTP clock is 8000 by its table).
    switch (payload_type_number(payload_type).value_or(255)) {
    case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 13: case 15: case 18: return 8000;
    case 6: return 16000;
    case 10: case 11: return 44100;
    case 16: return 11025;
    case 17: return 22050;
    case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34: return 90000;
    default: return 0;
    }
}

std::vector<Codec> read_codecs(const MediaSection &section) {
    std::vector<Codec> codecs;
    for (const auto &format : section.formats)
        if (payload_type_number(format)) codecs.push_back(Codec{format, {}, {}, {}});  // RTP types are 0-127
    auto find = [&codecs](std::string_view payload_type) -> Codec * {
        for (auto &codec : codecs)
            if (codec.payload_type == payload_type) return &codec;
        return nullptr;
    };
    for (const auto &line : section.lines) {
        if (line.type != 'a') continue;
        auto name = line.attribute_name();
        if (name != "rtpmap" && name != "fmtp" && name != "rtcp-fb") continue;
        auto [payload_type, rest] = split_payload(line.attribute_value());
        Codec *codec = find(payload_type);
        if (!codec) continue;  // rtcp-fb:* and attributes of formats not offered are left out
        if (name == "rtpmap") codec->encoding = std::string(rest);
        else if (name == "fmtp") codec->fmtp.emplace_back(rest);
        else codec->feedback.emplace_back(rest);
    }
    return codecs;
}

void write_codecs(MediaSection &section, const std::vector<Codec> &codecs, bool with_feedback) {
    for (const auto &codec : codecs) {
        section.formats.push_back(codec.payload_type);
        if (!codec.encoding.empty()) section.lines.push_back({'a', "rtpmap:" + codec.payload_type + " " + codec.encoding});
        for (const auto &fmtp : codec.fmtp) section.lines.push_back({'a', "fmtp:" + codec.payload_type + " " + fmtp});
        if (with_feedback)
            for (const auto &feedback : codec.feedback)
                section.lines.push_back({'a', "rtcp-fb:" + codec.payload_type + " " + feedback});
    }
}

bool is_bridgeable(const Codec &codec) {
    std::string key = codec.match_key();
    auto name = key.substr(0, key.find('/'));
    return name != "rtx" && name != "red" && name != "ulpfec" && name != "flexfec-03" && name != "flexfec";
}

std::string read_direction(const MediaSection &section) {
    for (const char *direction : {"sendrecv", "sendonly", "recvonly", "inactive"})
        if (section.has_attribute(direction)) return direction;
    return "sendrecv";
}

MatchedCodecs match_codecs(const std::vector<Codec> &offered, const std::vector<Codec> &answer) {
    MatchedCodecs matched;
    for (const auto &answered : answer) {
        // The same number naming the same codec first (H.264 profiles share one name),
        // then any offered codec of the same name and clock.
        auto same = std::find_if(offered.begin(), offered.end(), [&answered](const Codec &candidate) {
            return candidate.payload_type == answered.payload_type &&
                   (answered.encoding.empty() || candidate.encoding.empty() ||
                    candidate.match_key() == answered.match_key());
        });
        if (same == offered.end() && !answered.encoding.empty())
            same = std::find_if(offered.begin(), offered.end(), [&answered](const Codec &candidate) {
                return !candidate.encoding.empty() && candidate.match_key() == answered.match_key();
            });
        if (same == offered.end()) continue;  // not something that was offered: ignored
        Codec codec = answered;
        codec.payload_type = same->payload_type;
        if (codec.encoding.empty()) codec.encoding = same->encoding;
        matched.codecs.push_back(std::move(codec));
        matched.numbers.emplace_back(same->payload_type, answered.payload_type);
    }
    return matched;
}

}  // namespace sylk::sdp

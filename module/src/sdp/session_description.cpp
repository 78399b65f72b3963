#include "sdp/session_description.hpp"

#include <charconv>

namespace sylk::sdp {

namespace {

std::vector<std::string_view> split_spaces(std::string_view text) {
    std::vector<std::string_view> parts;
    while (!text.empty()) {
        auto start = text.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        text.remove_prefix(start);
        auto end = text.find(' ');
        parts.push_back(text.substr(0, end));
        if (end == std::string_view::npos) break;
        text.remove_prefix(end);
    }
    return parts;
}

std::optional<std::string> first_attribute(const std::vector<Line> &lines, std::string_view name) {
    for (const auto &line : lines)
        if (line.type == 'a' && line.attribute_name() == name) return std::string(line.attribute_value());
    return std::nullopt;
}

// "IN IP4 192.0.2.1" -> "192.0.2.1"
std::optional<std::string> address_of(const std::vector<Line> &lines) {
    for (const auto &line : lines) {
        if (line.type != 'c') continue;
        auto parts = split_spaces(line.value);
        if (parts.size() >= 3) return std::string(parts[2].substr(0, parts[2].find('/')));
    }
    return std::nullopt;
}

std::optional<MediaSection> parse_media_line(std::string_view value) {
    auto parts = split_spaces(value);
    if (parts.size() < 4) return std::nullopt;
    MediaSection section;
    section.media = std::string(parts[0]);
    auto port_text = parts[1].substr(0, parts[1].find('/'));  // "port/count" keeps the port
    unsigned port = 0;
    auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
    section.port = static_cast<std::uint16_t>(port);
    section.protocol = std::string(parts[2]);
    for (std::size_t i = 3; i < parts.size(); ++i) section.formats.emplace_back(parts[i]);
    return section;
}

}  // namespace

std::string_view Line::attribute_name() const {
    std::string_view text(value);
    return text.substr(0, text.find(':'));
}

std::string_view Line::attribute_value() const {
    std::string_view text(value);
    auto colon = text.find(':');
    return colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
}

std::optional<std::string> MediaSection::attribute(std::string_view name) const { return first_attribute(lines, name); }

std::vector<std::string> MediaSection::attributes(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto &line : lines)
        if (line.type == 'a' && line.attribute_name() == name) values.emplace_back(line.attribute_value());
    return values;
}

bool MediaSection::has_attribute(std::string_view name) const {
    for (const auto &line : lines)
        if (line.type == 'a' && line.attribute_name() == name) return true;
    return false;
}

std::optional<std::string> MediaSection::connection_address() const { return address_of(lines); }

std::optional<std::string> SessionDescription::attribute(std::string_view name) const {
    return first_attribute(session_lines, name);
}

std::optional<std::string> SessionDescription::connection_address() const { return address_of(session_lines); }

std::string SessionDescription::origin() const {
    for (const auto &line : session_lines)
        if (line.type == 'o') return line.value;
    return {};
}

std::variant<SessionDescription, ParseError> parse(std::string_view text) {
    SessionDescription description;
    bool first = true;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view raw = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        if (raw.empty()) continue;  // a trailing blank line is common; tolerated anywhere
        if (raw.size() < 2 || raw[1] != '=')
            return ParseError{"line '" + std::string(raw.substr(0, 40)) + "' is not type=value"};
        Line line{raw[0], std::string(raw.substr(2))};
        if (first) {
            if (line.type != 'v' || line.value != "0") return ParseError{"an SDP starts with v=0"};
            first = false;
        }
        if (line.type == 'm') {
            auto section = parse_media_line(line.value);
            if (!section) return ParseError{"m= line '" + line.value.substr(0, 60) + "' is not 'media port proto formats'"};
            description.media.push_back(std::move(*section));
        } else if (description.media.empty()) {
            description.session_lines.push_back(std::move(line));
        } else {
            description.media.back().lines.push_back(std::move(line));
        }
    }
    if (first) return ParseError{"empty SDP"};
    return description;
}

std::string serialize(const SessionDescription &description) {
    std::string text;
    auto add = [&text](char type, const std::string &value) {
        text += type;
        text += '=';
        text += value;
        text += "\r\n";
    };
    for (const auto &line : description.session_lines) add(line.type, line.value);
    for (const auto &section : description.media) {
        std::string m = section.media + " " + std::to_string(section.port) + " " + section.protocol;
        for (const auto &format : section.formats) m += " " + format;
        add('m', m);
        for (const auto &line : section.lines) add(line.type, line.value);
    }
    return text;
}

}  // namespace sylk::sdp

#include "media/payload_type_tables.hpp"

namespace sylk::media {

void PayloadTypeTables::build(const std::vector<BridgedLine> &lines) {
    to_phone_.fill(ToPhone{});
    phone_lines_.assign(lines.size(), {});
    for (std::size_t line = 0; line < lines.size(); ++line) {
        auto &phone_line = phone_lines_[line];
        phone_line.to_browser.fill(kNone);
        if (line >= kNone) continue;
        for (const auto &pair : lines[line].payload_types) {
            if (pair.browser < 128 && to_phone_[pair.browser].line == kNone)
                to_phone_[pair.browser] = {static_cast<std::uint8_t>(line), pair.phone};
            if (pair.phone < 128 && phone_line.to_browser[pair.phone] == kNone) phone_line.to_browser[pair.phone] = pair.browser;
            // The 8 kHz one when there are several (the phone's usual).
            if (pair.telephone_event && pair.phone < 128 && (phone_line.event_type == kNone || pair.clock_rate == 8000)) {
                phone_line.event_type = pair.phone;
                phone_line.event_clock = pair.clock_rate;
            }
        }
    }
}

}  // namespace sylk::media

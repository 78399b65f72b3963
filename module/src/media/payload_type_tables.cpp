#include "media/payload_type_tables.hpp"

namespace sylk::media {

void PayloadTypeTables::build(const std::vector<BridgedLine> &lines) {
    to_phone_.fill(ToPhone{});
    to_browser_.assign(lines.size(), {});
    events_.assign(lines.size(), {kNone, 0});
    for (std::size_t line = 0; line < lines.size(); ++line) {
        to_browser_[line].fill(kNone);
        if (line >= kNone) continue;
        for (const auto &pair : lines[line].payload_types) {
            if (pair.browser < 128 && to_phone_[pair.browser].line == kNone)
                to_phone_[pair.browser] = {static_cast<std::uint8_t>(line), pair.phone};
            if (pair.phone < 128 && to_browser_[line][pair.phone] == kNone) to_browser_[line][pair.phone] = pair.browser;
            // The 8 kHz one when there are several (the phone's usual).
            if (pair.telephone_event && pair.phone < 128 && (events_[line].first == kNone || pair.clock_rate == 8000))
                events_[line] = {pair.phone, pair.clock_rate};
        }
    }
}

}  // namespace sylk::media

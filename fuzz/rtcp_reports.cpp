// Raw bytes as a compound RTCP packet (a buffer of exactly that size) into
// media::reception_reports, and through CallQuality as the phone's and the browser's
// RTCP; the same bytes as an RTP header into CallQuality's loss and jitter:
// - every block read lies inside the input (at most one per 24 bytes);
// - the hang-up line is valid JSON whatever came.
#include "check.hpp"

#include "media/call_quality.hpp"
#include "media/rtcp_reports.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    auto copy = std::make_unique<std::uint8_t[]>(size ? size : 1);
    std::copy(data, data + size, copy.get());

    auto reports = sylk::media::reception_reports(copy.get(), size);
    FUZZ_CHECK(reports.size() <= size / 24);

    sylk::media::BridgedLine line;
    line.kind = "audio";
    line.payload_types = {{111, 98, 48000}, {0, 0, 8000}};
    sylk::media::CallQuality quality(0);
    quality.set_lines({line, line});
    if (size >= 12) {
        // The input's own SSRC is then known on both lines, so its reports are taken.
        quality.from_browser(0, copy.get(), 1000);
        quality.from_phone(1, copy.get(), 2000);
        quality.from_phone(1, copy.get(), 3000);
    }
    quality.phone_rtcp(copy.get(), size);
    quality.browser_rtcp(copy.get(), size);
    std::error_code error;
    boost::json::parse(quality.json(7, 5000), error);
    FUZZ_CHECK(!error);
    return 0;
}

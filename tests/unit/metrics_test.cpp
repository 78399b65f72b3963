// /metrics: the media families as Prometheus text (every drop reason, zeros included),
// the gauges made from the engine's counts, and the sums a worker keeps and publishes
// (add, the per-session difference, publishing through its atomics).
#include "app/metrics.hpp"
#include "media/media_counts.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

using namespace sylk;

namespace {

bool has_line(const std::string &text, const std::string &line) {
    return text.find("\n" + line + "\n") != std::string::npos;
}

media::MediaCounts some_counts(std::uint64_t base) {
    media::MediaCounts counts;
    counts.relayed = {base + 1, base + 2, base + 3, base + 4};
    counts.dropped.browser.srtcp_replayed = base + 5;
    counts.dropped.phone.rtp_stranger = base + 6;
    counts.dropped.unknown_payload_type = base + 7;
    return counts;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(drop_reasons_are_named_once_each) {
    std::set<std::string> names;
    for (std::size_t reason = 0; reason < media::kDropReasons; ++reason) names.insert(media::drop_reason_name(reason));
    BOOST_TEST(names.size() == media::kDropReasons);
    BOOST_TEST(names.count("srtcp_replayed") == 1u);
    BOOST_TEST(names.count("phone_rtp_stranger") == 1u);
    BOOST_TEST(names.count("unknown_payload_type") == 1u);
    // Each name reaches its own counter.
    media::SessionDrops drops;
    for (std::size_t reason = 0; reason < media::kDropReasons; ++reason) media::drop_count(drops, reason) = reason + 1;
    BOOST_TEST(drops.browser.not_secured == 1u);
    BOOST_TEST(drops.phone.unknown_phone == 12u);
    BOOST_TEST(drops.unknown_payload_type == media::kDropReasons);
}

BOOST_AUTO_TEST_CASE(counts_add_subtract_and_publish) {
    media::MediaCounts total;
    media::add(total, some_counts(0));
    media::add(total, some_counts(10));
    BOOST_TEST(total.relayed.browser_to_phone_rtp == 12u);
    BOOST_TEST(total.relayed.phone_to_browser_rtcp == 18u);
    BOOST_TEST(total.dropped.browser.srtcp_replayed == 20u);
    BOOST_TEST(total.dropped.phone.rtp_stranger == 22u);
    BOOST_TEST(total.dropped.unknown_payload_type == 24u);

    media::MediaCounts since = media::difference(some_counts(10), some_counts(0));
    BOOST_TEST(since.relayed.browser_to_phone_rtcp == 10u);
    BOOST_TEST(since.dropped.browser.srtcp_replayed == 10u);
    BOOST_TEST(since.dropped.browser.not_secured == 0u);

    media::PublishedMediaCounts published;
    published.publish(total);
    media::MediaCounts read = published.read();
    BOOST_TEST(read.relayed.browser_to_phone_rtcp == total.relayed.browser_to_phone_rtcp);
    BOOST_TEST(read.relayed.phone_to_browser_rtp == total.relayed.phone_to_browser_rtp);
    for (std::size_t reason = 0; reason < media::kDropReasons; ++reason)
        BOOST_TEST(media::drop_count(read.dropped, reason) == media::drop_count(total.dropped, reason));
}

// A worker's sums, as it keeps them: what each session counted since its last visit,
// added at every visit, come to what the sessions counted in all, however often visited.
BOOST_AUTO_TEST_CASE(visits_add_up_to_the_sessions_counts) {
    media::MediaCounts sum, seen_a, seen_b;
    auto visit = [&sum](const media::MediaCounts &now, media::MediaCounts &seen) {
        media::add(sum, media::difference(now, seen));
        seen = now;
    };
    visit(some_counts(0), seen_a);
    visit(some_counts(0), seen_a);  // visited twice without news (a rehash): nothing added
    visit(some_counts(5), seen_b);
    visit(some_counts(100), seen_a);
    BOOST_TEST(sum.relayed.browser_to_phone_rtp == 101u + 6u);
    BOOST_TEST(sum.dropped.phone.rtp_stranger == 106u + 11u);
}

BOOST_AUTO_TEST_CASE(renders_the_media_families) {
    stats::Counters counters;
    app::MediaGauges gauges = app::media_gauges(7, 9, some_counts(0));
    std::string text = app::prometheus_text(counters, gauges);
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_rtp_port_pairs_free 7"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_rtp_port_pairs 9"));
    BOOST_TEST(has_line(text, "# TYPE sylk_webrtcgateway_packets_relayed_total counter"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_relayed_total{direction=\"browser_to_phone\",kind=\"rtp\"} 1"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_relayed_total{direction=\"browser_to_phone\",kind=\"rtcp\"} 2"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_relayed_total{direction=\"phone_to_browser\",kind=\"rtp\"} 3"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_relayed_total{direction=\"phone_to_browser\",kind=\"rtcp\"} 4"));
    BOOST_TEST(has_line(text, "# TYPE sylk_webrtcgateway_packets_dropped_total counter"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_dropped_total{reason=\"srtcp_replayed\"} 5"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_dropped_total{reason=\"phone_rtp_stranger\"} 6"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_dropped_total{reason=\"unknown_payload_type\"} 7"));
    BOOST_TEST(has_line(text, "sylk_webrtcgateway_packets_dropped_total{reason=\"not_secured\"} 0"));
    std::size_t samples = 0;
    for (std::size_t at = text.find("\nsylk_webrtcgateway_packets_dropped_total{"); at != std::string::npos;
         at = text.find("\nsylk_webrtcgateway_packets_dropped_total{", at + 1))
        ++samples;
    BOOST_TEST(samples == media::kDropReasons);
}

BOOST_AUTO_TEST_SUITE_END()

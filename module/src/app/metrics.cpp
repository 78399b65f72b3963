#include "app/metrics.hpp"

namespace sylk::app {

namespace {

class Exposition {
public:
    // One metric family: its HELP and TYPE lines, then its samples.
    Exposition &family(const char *name, const char *type, const char *help) {
        text_ += std::string("# HELP sylk_webrtcgateway_") + name + " " + help + "\n";
        text_ += std::string("# TYPE sylk_webrtcgateway_") + name + " " + type + "\n";
        name_ = name;
        return *this;
    }
    Exposition &sample(std::uint64_t value, const std::string &labels = {}) {
        text_ += "sylk_webrtcgateway_" + name_ + (labels.empty() ? "" : "{" + labels + "}") + " " +
                 std::to_string(value) + "\n";
        return *this;
    }
    std::string text() && { return std::move(text_); }

private:
    std::string text_;
    std::string name_;
};

std::uint64_t read(const std::atomic<std::uint64_t> &value) { return value.load(std::memory_order_relaxed); }

}  // namespace

MediaGauges media_gauges(std::size_t free_pairs, std::size_t total_pairs, const media::MediaCounts &counts) {
    MediaGauges gauges;
    gauges.rtp_port_pairs_free = free_pairs;
    gauges.rtp_port_pairs_total = total_pairs;
    gauges.relayed = counts.relayed;
    for (std::size_t reason = 0; reason < media::kDropReasons; ++reason)
        gauges.dropped.emplace_back(media::drop_reason_name(reason), media::drop_count(counts.dropped, reason));
    return gauges;
}

std::string prometheus_text(const stats::Counters &counters, const MediaGauges &media) {
    Exposition out;
    out.family("connections", "gauge", "Open WebSocket connections.").sample(read(counters.connections));
    out.family("accounts", "gauge", "Accounts added on open connections.").sample(read(counters.accounts));
    out.family("calls_active", "gauge", "Calls from set-up to hang-up.").sample(read(counters.sessions));
    out.family("requests_total", "counter", "Requests received from clients.").sample(read(counters.requests));
    out.family("registrations_total", "counter", "Registration outcomes, as the registrar answered.")
        .sample(read(counters.registrations_registered), "result=\"registered\"")
        .sample(read(counters.registrations_failed), "result=\"failed\"")
        .sample(read(counters.registrations_unregistered), "result=\"unregistered\"");
    out.family("calls_total", "counter", "Calls that ended, by direction and whether they were answered.")
        .sample(read(counters.calls_outgoing_answered), "direction=\"outgoing\",result=\"answered\"")
        .sample(read(counters.calls_outgoing_unanswered), "direction=\"outgoing\",result=\"unanswered\"")
        .sample(read(counters.calls_incoming_answered), "direction=\"incoming\",result=\"answered\"")
        .sample(read(counters.calls_incoming_unanswered), "direction=\"incoming\",result=\"unanswered\"");
    auto &refusals = out.family("refusals_total", "counter", "Requests refused, by the limit or rule that refused them.");
    for (std::size_t i = 0; i < static_cast<std::size_t>(stats::Refusal::count_); ++i)
        refusals.sample(read(counters.refusals[i]),
                        std::string("reason=\"") + stats::refusal_name(static_cast<stats::Refusal>(i)) + "\"");
    out.family("rtp_port_pairs_free", "gauge", "RTP/RTCP port pairs free in the configured range.")
        .sample(media.rtp_port_pairs_free);
    out.family("rtp_port_pairs", "gauge", "RTP/RTCP port pairs in the configured range.")
        .sample(media.rtp_port_pairs_total);
    out.family("packets_relayed_total", "counter", "Media packets relayed, by direction and kind.")
        .sample(media.relayed.browser_to_phone_rtp, "direction=\"browser_to_phone\",kind=\"rtp\"")
        .sample(media.relayed.browser_to_phone_rtcp, "direction=\"browser_to_phone\",kind=\"rtcp\"")
        .sample(media.relayed.phone_to_browser_rtp, "direction=\"phone_to_browser\",kind=\"rtp\"")
        .sample(media.relayed.phone_to_browser_rtcp, "direction=\"phone_to_browser\",kind=\"rtcp\"");
    auto &dropped = out.family("packets_dropped_total", "counter", "Media packets dropped, by reason.");
    for (const auto &[reason, count] : media.dropped) dropped.sample(count, "reason=\"" + reason + "\"");
    return std::move(out).text();
}

}  // namespace sylk::app

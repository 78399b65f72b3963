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

std::string prometheus_text(const gateway::Counters &counters, const MediaGauges &media) {
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
    for (std::size_t i = 0; i < static_cast<std::size_t>(gateway::Refusal::count_); ++i)
        refusals.sample(read(counters.refusals[i]),
                        std::string("reason=\"") + gateway::refusal_name(static_cast<gateway::Refusal>(i)) + "\"");
    out.family("rtp_port_pairs_free", "gauge", "RTP/RTCP port pairs free in the configured range.")
        .sample(media.rtp_port_pairs_free);
    out.family("rtp_port_pairs", "gauge", "RTP/RTCP port pairs in the configured range.")
        .sample(media.rtp_port_pairs_total);
    return std::move(out).text();
}

}  // namespace sylk::app

#include "media/media_engine_impl.hpp"

#include <mutex>
#include <stdexcept>

#include <re.h>

namespace sylk::media {

namespace {

DtlsCertificate make_certificate() {
    static std::once_flag once;
    std::call_once(once, [] { libre_init(); });  // process-wide and idempotent in effect (SipAgent calls it too)
    try {
        return DtlsCertificate::generate();
    } catch (const std::exception &error) {
        throw config::SettingError("", error.what());
    }
}

}  // namespace

LibreMediaEngine::LibreMediaEngine(const config::Configuration &configuration, const log::Logger &logger,
                                   MediaListener &listener)
    : logger_(logger), certificate_(make_certificate()), media_address_(configuration.advertised_media_address()),
      ports_(configuration.rtp_port_first, configuration.rtp_port_last, configuration.sip_listen_address) {
    if (media_address_ == "0.0.0.0" || media_address_ == "::")
        throw config::SettingError("media_address", "must be set when the SIP side listens on " + media_address_ +
                                                        ": it is the address written in SDPs");
    WorkerSettings settings;
    settings.bind_address = configuration.sip_listen_address;
    settings.timeouts.rtp_ms = configuration.rtp_timeout * 1000ull;
    settings.timeouts.dtls_ms = configuration.rtp_timeout * 1000ull;
    settings.phone_io_uring = configuration.media_io_uring;
    for (unsigned index = 0; index < configuration.media_workers; ++index) {
        auto port = ports_.reserve(1);
        if (!port)
            throw config::SettingError("rtp_port_range", "has no free port for the browser port of media worker " +
                                                             std::to_string(index));
        browser_ports_.push_back(port->front());
        settings.browser_port = port->front();
        workers_.push_back(std::make_unique<MediaWorker>(index, certificate_, settings, ports_, listener, logger));
    }
}

LibreMediaEngine::~LibreMediaEngine() {
    try {
        stop();
    } catch (...) {
    }
}

void LibreMediaEngine::start() {
    try {
        for (auto &worker : workers_) worker->start();
    } catch (const std::exception &error) {
        stop();
        throw config::SettingError("media_workers", error.what());
    }
    std::string browser_ports;
    for (auto port : browser_ports_) browser_ports += (browser_ports.empty() ? "" : ",") + std::to_string(port);
    logger_.info("media: " + std::to_string(workers_.size()) + " worker(s), " + std::to_string(ports_.total_pairs()) +
                 " RTP port pairs, browser port(s) " + browser_ports + ", address " + media_address_ +
                 ", DTLS fingerprint sha-256 " +
                 certificate_.fingerprint());
}

void LibreMediaEngine::stop() {
    for (auto &worker : workers_) worker->stop();
}

std::optional<PortReservation> LibreMediaEngine::reserve_ports(MediaSessionId id, std::size_t phone_lines) {
    PortReservation reservation;
    reservation.browser_port = browser_ports_[worker_index(id)];
    if (phone_lines == 0) return reservation;
    auto ports = ports_.reserve(phone_lines);
    if (!ports) return std::nullopt;
    reservation.phone_ports = std::move(*ports);
    return reservation;
}

std::optional<std::vector<std::uint16_t>> LibreMediaEngine::reserve_more_ports(MediaSessionId, std::size_t phone_lines) {
    return ports_.reserve(phone_lines);
}

MediaCounts LibreMediaEngine::counts() const {
    MediaCounts total;
    for (const auto &worker : workers_) add(total, worker->counts());
    return total;
}

void LibreMediaEngine::open(MediaSessionSpec spec) { worker_of(spec.id).open(std::move(spec)); }
void LibreMediaEngine::update(MediaSessionSpec spec) { worker_of(spec.id).update(std::move(spec)); }
void LibreMediaEngine::close(MediaSessionId id) { worker_of(id).close(id); }

std::unique_ptr<LibreMediaEngine> create_media_engine(const config::Configuration &configuration,
                                                      const log::Logger &logger, MediaListener &listener) {
    return std::make_unique<LibreMediaEngine>(configuration, logger, listener);
}

}  // namespace sylk::media

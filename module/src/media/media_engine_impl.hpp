// The MediaEngine on libre: N media workers (config media_workers), the process's DTLS
// certificate, and the RTP port range. A session is pinned to worker id % N for its
// whole life, so every command about it lands on the same loop, in order. Each worker
// takes one port of the range for its BrowserPort, for as long as the engine lives.
#pragma once

#include "config/configuration.hpp"
#include "log/logger.hpp"
#include "media/dtls_certificate.hpp"
#include "media/media_engine.hpp"
#include "media/media_worker.hpp"
#include "media/rtp_port_allocator.hpp"

#include <memory>
#include <vector>

namespace sylk::media {

class LibreMediaEngine final : public MediaEngine {
public:
    // Makes the certificate; throws config::SettingError naming the key at fault.
    LibreMediaEngine(const config::Configuration &configuration, const log::Logger &logger, MediaListener &listener);
    ~LibreMediaEngine() override;  // stops the workers if still running; never throws

    // Starts every worker; throws config::SettingError (nothing left running then).
    void start();
    // Closes every session and ends the workers; no event follows.
    void stop();

    std::string fingerprint() const override { return certificate_.fingerprint(); }
    std::string media_address() const override { return media_address_; }
    // The browser port of the session's worker, and one pair per phone line. The
    // reservation is released by close() of the session opened with it (or when that
    // session ends).
    std::optional<PortReservation> reserve_ports(MediaSessionId id, std::size_t phone_lines) override;
    std::optional<std::vector<std::uint16_t>> reserve_more_ports(MediaSessionId id, std::size_t phone_lines) override;

    // RTP port pairs of the configured range: free now, and in all (any thread).
    std::size_t free_port_pairs() const { return ports_.free_pairs(); }
    std::size_t total_port_pairs() const { return ports_.total_pairs(); }
    // Packets relayed and dropped, summed over the workers (any thread).
    MediaCounts counts() const;
    void open(MediaSessionSpec spec) override;
    void update(MediaSessionSpec spec) override;
    void close(MediaSessionId id) override;

private:
    std::size_t worker_index(MediaSessionId id) const { return id % workers_.size(); }
    MediaWorker &worker_of(MediaSessionId id) { return *workers_[worker_index(id)]; }

    const log::Logger &logger_;
    DtlsCertificate certificate_;
    std::string media_address_;
    RtpPortAllocator ports_;
    std::vector<std::uint16_t> browser_ports_;  // one per worker, held from the range
    std::vector<std::unique_ptr<MediaWorker>> workers_;
};

std::unique_ptr<LibreMediaEngine> create_media_engine(const config::Configuration &configuration,
                                                      const log::Logger &logger, MediaListener &listener);

}  // namespace sylk::media

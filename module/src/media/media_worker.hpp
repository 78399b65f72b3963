// One media thread: a libre loop of its own (re_thread_init), its own DTLS context
// (libre's reference counts are not atomic), and the sessions pinned to it. Other
// threads reach it only through the methods below, which post typed commands into its
// loop::LoopInbox; events go out through MediaListener, called on this thread.
// Packets are received, relayed and sent on this thread only.
#pragma once

#include "log/logger.hpp"
#include "loop/loop_thread.hpp"
#include "media/browser_port.hpp"
#include "media/dtls_certificate.hpp"
#include "media/media_engine.hpp"
#include "media/media_session.hpp"
#include "media/rtp_port_allocator.hpp"

#include <memory>
#include <string>

namespace sylk::media {

struct WorkerSettings {
    std::string bind_address;  // where sockets are bound
    std::uint16_t browser_port = 0;  // the worker's BrowserPort (every session's ICE candidate)
    SessionTimeouts timeouts;
    int max_descriptors = 16384;  // fd_setsize for this loop: sessions hold 2 per line
    bool phone_io_uring = true;   // a PhoneRing for the phone sockets, where io_uring can be set up
};

class MediaWorker {
public:
    MediaWorker(unsigned index, const DtlsCertificate &certificate, WorkerSettings settings,
                RtpPortAllocator &ports, MediaListener &listener, const log::Logger &logger);
    ~MediaWorker();  // stops the loop if still running; never throws
    MediaWorker(const MediaWorker &) = delete;
    MediaWorker &operator=(const MediaWorker &) = delete;

    // Starts the thread and its loop; throws std::runtime_error when it cannot.
    void start();
    // Closes every session (releasing its ports) and ends the loop; no event follows.
    void stop();

    // Any thread.
    void open(MediaSessionSpec spec);
    void update(MediaSessionSpec spec);
    void close(MediaSessionId id);
    // What its sessions relayed and dropped, as last published (media_counts.hpp).
    MediaCounts counts() const;

private:
    class Loop;  // everything that lives on the worker thread
    std::unique_ptr<Loop> loop_;
    loop::LoopThread thread_;  // after loop_: stopped and joined before loop_ goes
};

}  // namespace sylk::media

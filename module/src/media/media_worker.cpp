#include "media/media_worker.hpp"

#include "loop/loop_inbox.hpp"
#include "loop/loop_thread.hpp"
#include "media/bucket_slices.hpp"

#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <variant>
#include <vector>

#include <re.h>

namespace sylk::media {

namespace {

struct OpenSession {
    MediaSessionSpec spec;
};
struct UpdateSession {
    MediaSessionSpec spec;
};
struct CloseSession {
    MediaSessionId id;
};
struct StopWorker {};
using WorkerCommand = std::variant<OpenSession, UpdateSession, CloseSession, StopWorker>;

const char *command_name(const WorkerCommand &command) {
    static const char *const names[] = {"open", "update", "close", "stop"};
    return names[command.index()];
}

// Every session's timeouts are checked on one timer per worker, not a timer each:
// libre keeps timers in one sorted list that every new timer walks. Each session is
// checked once per kTickMs, a slice of them (by bucket of the session map) per tick:
// a check is a few cache misses, and checking 1,000 sessions at once held the relay
// up for 129 us on average, up to 312 us (a tenth: 19 us, up to 97).
constexpr std::uint64_t kTickMs = 250;
constexpr std::size_t kTickSlices = 10;

}  // namespace

class MediaWorker::Loop final : private MediaSession::Owner {
public:
    Loop(unsigned index, const DtlsCertificate &certificate, WorkerSettings settings, RtpPortAllocator &ports,
         MediaListener &listener, const log::Logger &logger)
        : index_(index), certificate_(certificate), settings_(std::move(settings)), ports_(ports),
          listener_(listener), logger_(logger), name_("media worker " + std::to_string(index)) {
        tmr_init(&tick_);
        tmr_init(&reap_);
    }

    // "sylk-media-N" in top -H, perf and /proc/PID/task (bench/call-bench.py finds it there).
    loop::LoopThreadSettings thread_settings() const {
        return {"sylk-media-" + std::to_string(index_), settings_.max_descriptors, name_};
    }

    // What runs on the worker thread around its loop.
    loop::LoopSteps steps() {
        return {[this] { set_up(); }, [this] { tear_down(); }, [this] { post(StopWorker{}); }};
    }

    const PublishedMediaCounts &published() const { return published_; }

    void post(WorkerCommand command) {
        const char *name = command_name(command);
        switch (inbox_.post(std::move(command))) {
        case loop::PostResult::delivered_later: return;
        case loop::PostResult::closed:
            logger_.error(name_ + " has stopped: a media '" + name + "' command was not carried out");
            return;
        case loop::PostResult::wake_failed:
            logger_.error("cannot wake " + name_ + ": a media '" + name + "' command waits for the next one");
            return;
        }
    }

private:
    // Throws std::runtime_error, which refuses the start.
    void set_up() {
        int err = sa_set_str(&bind_, settings_.bind_address.c_str(), 0);
        if (err)
            throw std::runtime_error(name_ + ": '" + settings_.bind_address + "' is not an address to bind media sockets to");
        struct tls *context = nullptr;
        err = certificate_.make_dtls_context(&context);
        if (err) throw std::runtime_error(name_ + ": cannot make the DTLS context: " + std::strerror(err));
        dtls_.reset(context);
        struct sa browser_address = bind_;
        sa_set_port(&browser_address, settings_.browser_port);
        round_end_ = std::make_unique<RoundEnd>();
        browser_port_ = std::make_unique<BrowserPort>(*round_end_);
        err = browser_port_->listen(browser_address);
        if (err)
            throw std::runtime_error(name_ + ": cannot bind the browser port " + std::to_string(settings_.browser_port) +
                                     ": " + std::strerror(err));
        if (settings_.phone_io_uring) {
            phone_ring_ = std::make_unique<PhoneRing>(*round_end_);
            if (int ring_err = phone_ring_->open()) {
                phone_ring_.reset();
                logger_.info(name_ + ": no io_uring (" + std::strerror(ring_err) +
                             "): phone sockets are read and sent to one system call each");
            }
        }
        err = inbox_.open([this](WorkerCommand &command) { handle(command); });
        if (err) throw std::runtime_error(name_ + ": cannot create the command inbox: " + std::strerror(err));
        tmr_start(&tick_, kTickMs / kTickSlices, &Loop::on_tick, this);
    }

    void tear_down() {
        tmr_cancel(&tick_);
        tmr_cancel(&reap_);
        auto left = inbox_.close();
        for (auto &command : left)
            if (auto *open = std::get_if<OpenSession>(&command)) release(open->spec.ports);
            else if (auto *update = std::get_if<UpdateSession>(&command)) ports_.release(update->spec.added_phone_ports);
        for (auto &[id, session] : sessions_) {
            log_quality(*session);
            forget(*session);
            release(session->ports());
        }
        sessions_.clear();
        published_.publish(counted_);
        logger_.info(name_ + ": packets dropped by sessions: " + describe(counted_.dropped));
        if (browser_port_) {
            const auto &dropped = browser_port_->counters();
            logger_.debug(name_ + ": browser port dropped " + std::to_string(dropped.unknown_ufrag) +
                          " STUN messages for no session, " + std::to_string(dropped.unrouted) +
                          " packets from unchecked addresses, " + std::to_string(dropped.not_demultiplexed) +
                          " not demultiplexed, " + std::to_string(dropped.truncated) + " too long; " +
                          std::to_string(dropped.send_failed) + " datagrams could not be sent");
        }
        if (phone_ring_) {
            const auto &ring = phone_ring_->counters();
            logger_.debug(name_ + ": phone ring: " + std::to_string(ring.requests) + " reads and sends (" +
                          std::to_string(ring.fixed_requests) + " on registered descriptors) in " +
                          std::to_string(ring.submissions) + " system calls; " + std::to_string(ring.send_failed) +
                          " datagrams could not be sent, " + std::to_string(ring.early_flushes) + " rounds filled it");
            if (ring.unregister_failed)
                logger_.warning(name_ + ": the kernel refused to release " + std::to_string(ring.unregister_failed) +
                                " closed phone sockets from the ring: each port stayed in use until its "
                                "descriptor number was reused or the ring closed");
            if (ring.ring_failures)
                logger_.warning(name_ + ": io_uring refused a submission (" +
                                std::strerror(phone_ring_->last_ring_error()) +
                                "): the phone ring was closed and its sockets went on one system call each");
        }
        phone_ring_.reset();
        browser_port_.reset();
        round_end_.reset();  // here, on the worker's thread: its timer is in this loop's list
        dtls_.reset();
    }

    void handle(WorkerCommand &command) {
        std::visit([this](auto &c) { handle(c); }, command);
    }

    void handle(OpenSession &command) {
        MediaSessionId id = command.spec.id;
        PortReservation ports = command.spec.ports;
        if (sessions_.count(id)) {
            logger_.error(name_ + ": media session " + std::to_string(id) + " is already open");
            return;
        }
        auto session = std::make_unique<MediaSession>(static_cast<MediaSession::Owner &>(*this), *browser_port_,
                                                      phone_ring_.get(), dtls_.get(), settings_.timeouts,
                                                      std::move(command.spec));
        auto &placed = *sessions_.emplace(id, std::move(session)).first->second;
        if (auto problem = placed.start(bind_)) {
            sessions_.erase(id);
            release(ports);
            logger_.warning(name_ + ": media session " + std::to_string(id) + ": " + *problem);
            listener_.media_event({id, MediaEvent::Kind::ended, *problem});
        }
    }

    void handle(UpdateSession &command) {
        auto session = sessions_.find(command.spec.id);
        if (session != sessions_.end() && !session->second->failed()) {
            // It owns the added ports now (a line that could not be opened is left out).
            if (auto problem = session->second->update(command.spec))
                logger_.warning(name_ + ": media session " + std::to_string(command.spec.id) + ": " + *problem);
            return;
        }
        // Ended (or closed) before the update came: the ports reserved for its new lines
        // are no session's.
        ports_.release(command.spec.added_phone_ports);
    }

    void handle(CloseSession &command) {
        auto session = sessions_.find(command.id);
        if (session == sessions_.end()) return;  // ended already (and reported), or never opened
        auto counts = session->second->counts();
        logger_.debug(name_ + ": media session " + std::to_string(command.id) + " closed: relayed " +
                      std::to_string(counts.relayed.browser_to_phone_rtp) + " RTP packets to the phone, " +
                      std::to_string(counts.relayed.phone_to_browser_rtp) + " to the browser; dropped: " +
                      describe(counts.dropped));
        log_quality(*session->second);
        forget(*session->second);
        release(session->second->ports());
        sessions_.erase(session);
    }

    void handle(StopWorker &) { re_cancel(); }

    // One line per call at hang-up, never labels of a metric (call_quality.hpp).
    void log_quality(const MediaSession &session) { logger_.info("media quality " + session.quality_json()); }

    // A session about to go adds its last counts to the worker's sums (drops logged at stop).
    void forget(MediaSession &session) { add(counted_, session.counts_since_last_call()); }

    // The phone ports go back to the range; the browser port is the worker's.
    void release(const PortReservation &ports) { ports_.release(ports.phone_ports); }

    void session_established(MediaSessionId id) override {
        listener_.media_event({id, MediaEvent::Kind::established, {}});
    }

    void session_digit(MediaSessionId id, char digit, unsigned duration_ms) override {
        listener_.media_event({id, MediaEvent::Kind::dtmf, {}, digit, duration_ms});
    }

    // Called from inside the session's own socket callbacks: the session is only marked
    // here and destroyed from the reap timer, once no libre callback of it is running.
    void session_failed(MediaSessionId id, const std::string &reason) override {
        ending_.push_back({id, reason});
        tmr_start(&reap_, 0, &Loop::on_reap, this);
    }

    static void on_reap(void *self) { static_cast<Loop *>(self)->reap(); }

    void reap() {
        auto ending = std::move(ending_);
        ending_.clear();
        for (auto &[id, reason] : ending) {
            auto session = sessions_.find(id);
            if (session == sessions_.end()) continue;  // closed meanwhile: no event
            log_quality(*session->second);
            forget(*session->second);
            release(session->second->ports());
            sessions_.erase(session);
            logger_.info(name_ + ": media session " + std::to_string(id) + " ended: " + reason);
            listener_.media_event({id, MediaEvent::Kind::ended, reason});
        }
    }

    static void on_tick(void *self) { static_cast<Loop *>(self)->tick(); }

    void tick() {
        std::uint64_t now = tmr_jiffies();
        // A rehash between ticks (sessions added) may check a session twice or skip it
        // for one cycle: its timeout then fires at most one cycle late.
        visit_bucket_slice(sessions_, tick_slice_, kTickSlices, [&](auto &entry) {
            MediaSession &session = *entry.second;
            add(counted_, session.counts_since_last_call());  // see media_counts.hpp
            if (session.failed()) return;
            // Not from a socket callback: no need to wait, but one path is simpler.
            if (auto reason = session.check(now)) ending_.push_back({entry.first, *reason});
        });
        tick_slice_ = (tick_slice_ + 1) % kTickSlices;
        if (!ending_.empty()) reap();
        published_.publish(counted_);
        tmr_start(&tick_, kTickMs / kTickSlices, &Loop::on_tick, this);
    }

    unsigned index_;
    const DtlsCertificate &certificate_;
    WorkerSettings settings_;
    RtpPortAllocator &ports_;
    MediaListener &listener_;
    const log::Logger &logger_;
    std::string name_;
    struct sa bind_ {};
    RePtr<struct tls> dtls_;
    std::unique_ptr<RoundEnd> round_end_;  // the ring's, then the port's system calls at each round's end
    std::unique_ptr<BrowserPort> browser_port_;  // every session's ICE, DTLS and SRTP
    std::unique_ptr<PhoneRing> phone_ring_;      // every session's phone-side system calls, or null
    loop::LoopInbox<WorkerCommand> inbox_;
    std::unordered_map<MediaSessionId, std::unique_ptr<MediaSession>> sessions_;
    std::vector<std::pair<MediaSessionId, std::string>> ending_;
    MediaCounts counted_;  // sessions gone, and the live ones as last visited
    PublishedMediaCounts published_;  // counted_, for other threads
    struct tmr tick_ {};
    std::size_t tick_slice_ = 0;
    struct tmr reap_ {};
};

MediaWorker::MediaWorker(unsigned index, const DtlsCertificate &certificate, WorkerSettings settings,
                         RtpPortAllocator &ports, MediaListener &listener, const log::Logger &logger)
    : loop_(std::make_unique<Loop>(index, certificate, std::move(settings), ports, listener, logger)) {}

MediaWorker::~MediaWorker() {
    try {
        stop();
    } catch (...) {
    }
}

void MediaWorker::start() { thread_.start(loop_->thread_settings(), loop_->steps()); }

void MediaWorker::stop() { thread_.stop(); }

void MediaWorker::open(MediaSessionSpec spec) { loop_->post(OpenSession{std::move(spec)}); }
void MediaWorker::update(MediaSessionSpec spec) { loop_->post(UpdateSession{std::move(spec)}); }
void MediaWorker::close(MediaSessionId id) { loop_->post(CloseSession{id}); }
MediaCounts MediaWorker::counts() const { return loop_->published().read(); }

}  // namespace sylk::media

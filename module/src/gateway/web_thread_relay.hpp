// The hop onto the web thread: what the SIP thread and the media workers report is
// posted onto the web thread's io_context, where the gateway owns all client state.
// asio::post queues without a bound, so nothing is refused. Reports that can no longer
// reach a client are counted, and the application logs how many: those arriving after
// the web side stopped, and those still queued on the web thread when it stopped.
#pragma once

#include "media/media_engine.hpp"
#include "sip/call_types.hpp"
#include "sip/registration_types.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>

namespace sylk::gateway {

class Gateway;

class WebThreadRelay final : public sip::RegistrationListener, public sip::CallListener, public media::MediaListener {
public:
    explicit WebThreadRelay(boost::asio::io_context &web_thread);
    // Once, before the SIP and media sides start.
    void attach(Gateway &gateway) { gateway_ = &gateway; }

    // SIP thread.
    void registration_changed(const sip::RegistrationUpdate &update) override;
    void call_changed(const sip::CallUpdate &update) override;
    // A media worker thread.
    void media_event(const media::MediaEvent &event) override;

    // Any thread, once the web thread no longer runs: later reports have no client to reach.
    void web_side_stopped();
    // How many reports were not handed to the gateway: arrived after that, or posted
    // and never run. Exact once the SIP and media sides have stopped too.
    std::size_t undelivered() const { return dropped_after_stop_.load() + in_flight_.load(); }

private:
    template <typename Handler>
    void post(Handler handler);

    boost::asio::io_context &web_thread_;
    Gateway *gateway_ = nullptr;
    std::atomic<bool> web_side_running_{true};
    std::atomic<std::size_t> dropped_after_stop_{0};
    std::atomic<std::size_t> in_flight_{0};  // posted, not yet run
};

}  // namespace sylk::gateway

// The hop onto the web thread: what the SIP thread and the media workers report is
// posted onto the web thread's io_context, where the gateway owns all client state.
// asio::post queues without a bound, so nothing is refused; once the web side has
// stopped (every client is gone by then) reports are counted and dropped on purpose,
// and the application logs how many.
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
    // How many reports arrived after that.
    std::size_t dropped_after_stop() const { return dropped_after_stop_.load(); }

private:
    template <typename Handler>
    void post(Handler handler);

    boost::asio::io_context &web_thread_;
    Gateway *gateway_ = nullptr;
    std::atomic<bool> web_side_running_{true};
    std::atomic<std::size_t> dropped_after_stop_{0};
};

}  // namespace sylk::gateway

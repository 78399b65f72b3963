#include "gateway/web_thread_relay.hpp"

#include "gateway/gateway.hpp"

#include <boost/asio/post.hpp>

namespace sylk::gateway {

WebThreadRelay::WebThreadRelay(boost::asio::io_context &web_thread) : web_thread_(web_thread) {}

template <typename Handler>
void WebThreadRelay::post(Handler handler) {
    if (!web_side_running_.load()) {
        dropped_after_stop_.fetch_add(1);
        return;
    }
    in_flight_.fetch_add(1);
    boost::asio::post(web_thread_, [this, handler = std::move(handler)] {
        in_flight_.fetch_sub(1);
        handler();
    });
}

void WebThreadRelay::registration_changed(const sip::RegistrationUpdate &update) {
    post([gateway = gateway_, update] { gateway->registration_changed(update); });
}

void WebThreadRelay::call_changed(const sip::CallUpdate &update) {
    post([gateway = gateway_, update] { gateway->call_changed(update); });
}

void WebThreadRelay::media_event(const media::MediaEvent &event) {
    post([gateway = gateway_, event] { gateway->media_changed(event); });
}

void WebThreadRelay::web_side_stopped() { web_side_running_.store(false); }

}  // namespace sylk::gateway

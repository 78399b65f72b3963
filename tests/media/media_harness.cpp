// Drives the media engine with no SIP: the test plays the browser (aiortc) and the phone
// (a UDP socket), and this program does what call signalling will do with their SDPs.
//
//   media_harness '<configuration JSON>'
//   stdin:  the browser's offer, then a line "END"
//   stdout: "PHONE-OFFER", the gateway's offer to the phone, "END"
//   stdin:  the phone's answer, then "END"
//   stdout: "BROWSER-ANSWER", the gateway's answer to the browser, "END"
//   stdout: "EVENT established <id>" / "EVENT ended <id> <reason>" as the engine reports them
//   stdin:  "CLOSE" (or end of input): the session is closed, the engine stopped, exit 0.
// Anything that goes wrong: "ERROR <why>" and exit 1.
#include "call/relay_plan.hpp"
#include "config/configuration.hpp"
#include "log/logger.hpp"
#include "media/media_engine_impl.hpp"
#include "sdp/browser_side.hpp"
#include "sdp/phone_side.hpp"
#include "sdp/session_description.hpp"

#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>

namespace {

std::mutex output_mutex;

void say(const std::string &text) {
    std::lock_guard<std::mutex> lock(output_mutex);
    std::cout << text << std::endl;
}

[[noreturn]] void die(const std::string &why) {
    say("ERROR " + why);
    std::exit(1);
}

std::string read_block() {
    std::string text, line;
    while (std::getline(std::cin, line) && line != "END") text += line + "\n";
    return text;
}

sylk::sdp::SessionDescription parse(const std::string &text) {
    auto parsed = sylk::sdp::parse(text);
    if (auto *error = std::get_if<sylk::sdp::ParseError>(&parsed)) die("bad SDP: " + error->reason);
    return std::get<sylk::sdp::SessionDescription>(parsed);
}

void log_line(void *, sylk_log_level level, const char *message) {
    std::lock_guard<std::mutex> lock(output_mutex);
    std::cerr << "log " << level << ": " << message << std::endl;
}

class PrintingListener final : public sylk::media::MediaListener {
public:
    void media_event(const sylk::media::MediaEvent &event) override {
        if (event.kind == sylk::media::MediaEvent::Kind::established)
            say("EVENT established " + std::to_string(event.id));
        else
            say("EVENT ended " + std::to_string(event.id) + " " + event.reason);
    }
};

}  // namespace

int main(int argc, char **argv) {
    auto parsed = sylk::config::parse_configuration(argc > 1 ? argv[1] : "{}");
    if (!parsed.configuration) die(parsed.error.setting + ": " + parsed.error.reason);
    const auto &configuration = *parsed.configuration;
    sylk_host_callbacks callbacks{};
    callbacks.log = &log_line;
    sylk::log::Logger logger(&callbacks);
    PrintingListener listener;
    std::unique_ptr<sylk::media::LibreMediaEngine> engine;
    try {
        engine = sylk::media::create_media_engine(configuration, logger, listener);
        engine->start();
    } catch (const sylk::config::SettingError &error) {
        die(error.setting() + ": " + error.what());
    }

    // The browser's offer: read it, hold ports, open the session (ICE answers from now on).
    auto offer = sylk::sdp::read_browser_offer(parse(read_block()));
    if (auto *reason = std::get_if<std::string>(&offer)) die("browser offer: " + *reason);
    auto &browser = std::get<sylk::sdp::BrowserDescription>(offer);
    sylk::media::MediaSessionSpec spec;
    spec.id = 1;
    auto ports = engine->reserve_ports(spec.id, sylk::call::count_bridged(browser.lines));
    if (!ports) die("no media ports available");
    spec.ports = *ports;
    spec.local_ice_ufrag = sylk::call::random_ice_token(8);
    spec.local_ice_pwd = sylk::call::random_ice_token(24);
    spec.browser = sylk::call::browser_parameters(browser.peer);
    spec.lines = sylk::call::bridged_lines(browser.lines, nullptr, {}, spec.ports);
    engine->open(spec);

    auto rtp = sylk::call::gateway_rtp(engine->media_address(), browser.lines, spec.ports);
    say("PHONE-OFFER\n" + sylk::sdp::serialize(sylk::sdp::write_phone_offer(browser.lines, rtp, "1")) + "END");

    // The phone's answer: where it receives, which codecs; then the browser's answer.
    auto answer = sylk::sdp::read_phone_answer(parse(read_block()), browser.lines);
    if (auto *reason = std::get_if<std::string>(&answer)) die("phone answer: " + *reason);
    auto &phone = std::get<sylk::sdp::PhoneDescription>(answer);
    spec.lines = sylk::call::bridged_lines(browser.lines, &phone.lines, phone.peers, spec.ports);
    spec.negotiated = true;  // the browser answer goes out next
    engine->update(spec);
    sylk::sdp::GatewayWebRtc webrtc{engine->media_address(), spec.ports.browser_port, spec.local_ice_ufrag,
                                    spec.local_ice_pwd, engine->fingerprint()};
    say("BROWSER-ANSWER\n" +
        sylk::sdp::serialize(sylk::sdp::write_browser_answer(browser.lines, phone.lines, webrtc, "1")) + "END");

    std::string line;
    while (std::getline(std::cin, line) && line != "CLOSE") {
    }
    engine->close(spec.id);
    engine->stop();
    say("STOPPED");
    return 0;
}

// The gateway's side of ICE towards a browser: ICE-lite (RFC 8445 section 2.5), with
// one host candidate. libre 1.1.0's icem refuses ICE_MODE_LITE, so this answers the
// browser's Binding requests itself on libre's STUN codec: FINGERPRINT required,
// USERNAME "ourufrag:theirufrag", MESSAGE-INTEGRITY keyed with our ice-pwd, a success
// answer carrying XOR-MAPPED-ADDRESS, 400/401/487 error answers as RFC 8445 7.3 says.
// It also keeps what the session needs from the checks: where the browser is (the
// address nominated with USE-CANDIDATE, else the last that passed a check) and when
// it last checked (consent freshness, RFC 7675). No I/O: answers are returned as bytes.
#pragma once

#include "media/re_ptr.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <re.h>

namespace sylk::media {

class IceLiteResponder {
public:
    enum class Outcome {
        answered,  // a valid check: `reply` holds the success answer
        rejected,  // a check with bad credentials or attributes: `reply` holds the error answer
        dropped,   // not a STUN request we answer (not STUN, no FINGERPRINT, not a Binding request)
    };

    IceLiteResponder(std::string local_ufrag, std::string local_pwd);

    // The browser's ufrag, once its SDP is known; before that, the part of USERNAME
    // after the colon is not checked (a browser answering our offer may check first).
    void set_remote_ufrag(std::string ufrag) { remote_ufrag_ = std::move(ufrag); }

    // One datagram from `source`, its first byte 0-3. `reply` receives the bytes to send
    // back to `source` (nothing when dropped).
    Outcome handle(const struct sa &source, struct mbuf *packet, std::uint64_t now_ms, RePtr<struct mbuf> &reply);

    // Where media to the browser goes: the nominated address, else the last checked one.
    std::optional<struct sa> browser_address() const;
    bool nominated() const { return nominated_.has_value(); }
    // Whether `address` has passed a check (DTLS is accepted only from such addresses).
    bool is_checked(const struct sa &address) const;
    // Every address is_checked() accepts (at most three, no duplicates).
    std::vector<struct sa> checked_addresses() const;
    // Time of the last valid check, nothing before the first.
    std::optional<std::uint64_t> last_check_ms() const { return last_check_ms_; }

private:
    Outcome reject(const struct stun_msg *request, std::uint16_t code, const char *reason, bool with_integrity,
                   RePtr<struct mbuf> &reply) const;

    std::string local_ufrag_;
    std::string local_pwd_;
    std::string remote_ufrag_;
    std::optional<struct sa> nominated_;
    std::optional<struct sa> last_checked_;
    std::optional<struct sa> previous_checked_;
    std::optional<std::uint64_t> last_check_ms_;
};

}  // namespace sylk::media

// The browser-facing UDP port of one media worker: every session of the worker takes
// its ICE checks, DTLS and SRTP through this one socket, as SFUs do (one port to open
// in a firewall, one descriptor instead of one per call, and batched system calls).
// Datagrams are told apart by their first byte (RFC 7983) and then demultiplexed:
//   STUN (0-3)      by the first half of USERNAME, the ufrag of the session's SDP;
//   DTLS (20-63)    by libre's dtls_sock, one connection per browser address; a
//                   ClientHello from a new address goes to the session routed to it;
//   RTP (128-191)   by source address: a session routes the addresses that passed
//                   its ICE checks (nothing else reaches it).
// Reading takes up to kBatch datagrams per recvmmsg into buffers the port reuses, and
// as many batches per loop round as are waiting (up to kBatchesPerWakeup);
// what a session sends is copied into a batch that goes out with one sendmmsg at the
// end of the loop round (RoundEnd's browser-side stage, after the phone side's, whose
// relayed reads it then carries), or earlier when the batch is full.
// What is dropped is counted (Counters). Lives on one media worker's libre thread.
#pragma once

#include "media/address_table.hpp"
#include "media/re_ptr.hpp"
#include "media/round_end.hpp"

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include <re.h>

namespace sylk::media {

class BrowserPort final : private RoundEnd::Flusher {
public:
    // One session's side of the port. Every call comes on the worker thread.
    class Client {
    public:
        virtual ~Client() = default;
        // A STUN message for this session's ufrag, in a libre mbuf it may keep.
        virtual void port_stun(const struct sa &source, struct mbuf *message) = 0;
        // A DTLS ClientHello from `peer`, which has no connection yet: dtls_accept()
        // on dtls_socket() now takes it, or it is dropped.
        virtual void port_dtls_offered(const struct sa &peer) = 0;
        // RTP or RTCP from a routed address. The mbuf lies over the port's buffer: valid
        // during the call only, not libre memory (no mem_ref, never grown past its size,
        // which leaves kTrailerRoom bytes past its end).
        virtual void port_media(const struct sa &source, struct mbuf *packet) = 0;
    };

    struct Counters {
        std::uint64_t unknown_ufrag = 0;    // STUN for no session (ended ones' consent checks)
        std::uint64_t unrouted = 0;         // RTP/RTCP from an address no session checked
        std::uint64_t not_demultiplexed = 0;  // first byte in no RFC 7983 range, or too short
        std::uint64_t truncated = 0;        // longer than kLongest
        std::uint64_t send_failed = 0;      // sendmmsg refused the datagram
    };

    static constexpr std::size_t kBatch = 32;          // datagrams per recvmmsg and per sendmmsg
    static constexpr std::size_t kBatchesPerWakeup = 32;  // recvmmsg calls at most, per loop round (1,024 datagrams)
    static constexpr std::size_t kDatagramSize = 2048;  // bytes per buffer; browsers send under 1,500
    // Kept free past the longest datagram read: libre's SRTP writes past a packet's end
    // while it checks the tag, and would reallocate (not possible here) without room.
    static constexpr std::size_t kTrailerRoom = 64;
    static constexpr std::size_t kLongest = kDatagramSize - kTrailerRoom;

    // What it sends goes out as `round_end`'s browser-side stage.
    explicit BrowserPort(RoundEnd &round_end);
    ~BrowserPort() override;
    BrowserPort(const BrowserPort &) = delete;
    BrowserPort &operator=(const BrowserPort &) = delete;

    // Binds `local` (its port included) and starts reading. 0 or an errno value.
    int listen(const struct sa &local);

    // STUN for `ufrag` goes to `client` from now on. EEXIST when another session has it.
    int attach(const std::string &ufrag, Client &client);
    // Forgets `client`: its ufrag and every address routed to it.
    void detach(const std::string &ufrag, Client &client);
    // RTP, RTCP and DTLS ClientHellos from `address` go to `client` (taking it from a
    // session that had it: a browser may reuse a local port for a later call).
    void route(const struct sa &address, Client &client);
    // Stops routing `address`, if it is routed to `client`.
    void unroute(const struct sa &address, Client &client);

    struct dtls_sock *dtls_socket() const { return dtls_.get(); }
    // Queued for the next sendmmsg (copied: `packet` is free again on return).
    void send(const struct sa &destination, const struct mbuf &packet);
    // At once (STUN answers: rare, and not worth a copy).
    void send_now(const struct sa &destination, struct mbuf *packet);

    const Counters &counters() const { return counters_; }

private:

    static void on_readable(int flags, void *self);
    static void on_dtls_connect(const struct sa *peer, void *self);
    void end_round() override;
    void read();
    void dispatch(const struct sa &source, std::uint8_t *bytes, std::size_t size);
    void flush();

    RePtr<struct udp_sock> socket_;
    RePtr<struct dtls_sock> dtls_;
    int fd_ = -1;
    std::unordered_map<std::string, Client *> by_ufrag_;
    AddressTable<Client> by_address_;

    // Receiving.
    std::array<std::array<std::uint8_t, kDatagramSize>, kBatch> in_buffers_;
    std::array<sockaddr_storage, kBatch> in_names_;
    std::array<iovec, kBatch> in_vectors_;
    std::array<mmsghdr, kBatch> in_headers_;
    // Sending.
    std::array<std::array<std::uint8_t, kDatagramSize>, kBatch> out_buffers_;
    std::array<struct sa, kBatch> out_destinations_;
    std::array<iovec, kBatch> out_vectors_;
    std::array<mmsghdr, kBatch> out_headers_;
    std::size_t queued_ = 0;
    RoundEnd &round_end_;

    Counters counters_;
};

// The local ufrag a STUN message is for: the part of its USERNAME before the colon
// (RFC 8445 7.2.2), read without decoding the rest; empty when there is none, or when an
// attribute before it has a length libre's decoder would not step over as written.
std::string_view stun_local_ufrag(const std::uint8_t *message, std::size_t size);

}  // namespace sylk::media

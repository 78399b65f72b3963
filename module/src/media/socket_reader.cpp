#include "media/socket_reader.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace sylk::media {

namespace {

// One per media thread, shared by all its sockets: a datagram is handled completely
// (relayed, or copied where it must last) before the next one is read.
// (A plain array: <array> after libre's min/max macros does not compile with clang.)
std::uint8_t *thread_buffer() {
    thread_local std::uint8_t buffer[SocketReader::kCapacity];
    return buffer;
}

}  // namespace

int take_over_reading(struct udp_sock *socket, int af, fd_h *handler, void *arg, int &fd) {
    fd = udp_sock_fd(socket, af);
    if (fd < 0) return EBADF;
    // libre's reader leaves the loop first, so the descriptor is registered once, ours.
    udp_thread_detach(socket);
    return fd_listen(fd, FD_READ, handler, arg);
}

SocketReader::~SocketReader() {
    if (batch_ && fd_ >= 0) batch_->forget(fd_);
}

int SocketReader::attach(struct udp_sock *socket, int af) {
    int err = take_over_reading(socket, af, &SocketReader::on_readable, this, fd_);
    if (!err && batch_) batch_->adopt(fd_);
    return err;
}

void SocketReader::on_readable(int flags, void *self) {
    if (!(flags & FD_READ)) return;
    auto *reader = static_cast<SocketReader *>(self);
    if (reader->batch_)
        reader->batch_->read_later(*reader);
    else
        reader->read();
}

void SocketReader::read() {
    std::uint8_t *buffer = thread_buffer();
    // MSG_TRUNC: the datagram's real length, so that one too long is seen and dropped.
    struct sa source {};
    source.len = sizeof source.u;
    ssize_t size = ::recvfrom(fd_, buffer, kLongest, MSG_DONTWAIT | MSG_TRUNC, &source.u.sa, &source.len);
    if (size < 0) return;  // EAGAIN: another reader was faster (none here), or an ICMP error
    deliver(buffer, static_cast<std::size_t>(size), source);
}

void SocketReader::deliver(std::uint8_t *buffer, std::size_t size, const struct sa &source) {
    if (size > kLongest) {
        ++truncated_;
        return;
    }
    struct mbuf datagram {};
    datagram.buf = buffer;
    datagram.size = kCapacity;
    datagram.end = size;
    handler_(owner_, datagram, source);
}

}  // namespace sylk::media

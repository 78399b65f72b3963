#include "media/datagram_reader.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace sylk::media {

namespace {

// One buffer per media thread, shared by all its sockets: a datagram is handled
// completely before the next socket is read.
std::array<std::uint8_t, DatagramReader::kCapacity> &thread_buffer() {
    thread_local std::array<std::uint8_t, DatagramReader::kCapacity> buffer;
    return buffer;
}

}  // namespace

int DatagramReader::attach(struct udp_sock *socket) {
    int fd = udp_sock_fd(socket, AF_INET);
    if (fd < 0) fd = udp_sock_fd(socket, AF_INET6);
    if (fd < 0) return EBADF;
    fd_ = fd;
    // Same descriptor, new handler: libre's table entry is replaced, not added.
    return fd_listen(fd, FD_READ, &DatagramReader::on_readable, this);
}

void DatagramReader::on_readable(int flags, void *self) {
    if (flags & FD_READ) static_cast<DatagramReader *>(self)->read();
}

void DatagramReader::read() {
    auto &buffer = thread_buffer();
    sockaddr_storage from;
    socklen_t from_size = sizeof from;
    // MSG_TRUNC: the datagram's real length, so one too long is seen and dropped.
    ssize_t size = ::recvfrom(fd_, buffer.data(), kLongest, MSG_DONTWAIT | MSG_TRUNC,
                              reinterpret_cast<sockaddr *>(&from), &from_size);
    if (size < 0) return;
    if (static_cast<std::size_t>(size) > kLongest) return;  // no media packet is that long
    struct sa source;
    if (sa_set_sa(&source, reinterpret_cast<const struct sockaddr *>(&from)) != 0) return;
    struct mbuf datagram {};
    datagram.buf = buffer.data();
    datagram.size = kCapacity;
    datagram.pos = 0;
    datagram.end = static_cast<std::size_t>(size);
    handler_(owner_, source, datagram);
}

struct mbuf *copy_datagram(const struct mbuf &datagram) {
    std::size_t size = datagram.end - datagram.pos;
    struct mbuf *copy = mbuf_alloc(size ? size : 1);
    if (!copy) return nullptr;
    (void)mbuf_write_mem(copy, datagram.buf + datagram.pos, size);
    copy->pos = 0;
    return copy;
}

}  // namespace sylk::media

// A lean WebSocket client connection for the benchmarks (raw Boost.Asio, one thread):
// handshake with sylkRTC-1, unmasked-frame parsing, zero-key masked text frames out.
#pragma once

#include <boost/asio.hpp>

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A client frame: FIN + text, masked with a zero key (valid, and the payload stays as is).
inline std::string text_frame(const std::string &payload) {
    std::string frame;
    frame += static_cast<char>(0x81);
    if (payload.size() < 126) {
        frame += static_cast<char>(0x80 | payload.size());
    } else {
        frame += static_cast<char>(0x80 | 126);
        frame += static_cast<char>((payload.size() >> 8) & 0xff);
        frame += static_cast<char>(payload.size() & 0xff);
    }
    frame.append(4, '\0');
    return frame + payload;
}

class WsConnection : public std::enable_shared_from_this<WsConnection> {
public:
    using TextHandler = std::function<void(std::string_view)>;
    using FailHandler = std::function<void(const std::string &)>;

    WsConnection(asio::io_context &io, tcp::endpoint endpoint) : socket_(io), endpoint_(endpoint) {}

    // on_text gets every text frame, the ready event included; on_fail any failure (once).
    void start(TextHandler on_text, FailHandler on_fail) {
        on_text_ = std::move(on_text);
        on_fail_ = std::move(on_fail);
        auto self = shared_from_this();
        socket_.async_connect(endpoint_, [self](boost::system::error_code ec) {
            if (ec) return self->fail("connect: " + ec.message());
            self->socket_.set_option(tcp::no_delay(true));
            self->handshake();
        });
    }

    // Sends a prepared frame (see text_frame); `frame` must outlive the write.
    void send_frame(const std::string &frame) {
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(frame), [self](boost::system::error_code ec, std::size_t) {
            if (ec && !self->closing_) self->fail("write: " + ec.message());
        });
    }

    // Queues an owned text message (for messages made on the fly).
    void send_text(const std::string &payload) {
        auto frame = std::make_shared<std::string>(text_frame(payload));
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(*frame), [self, frame](boost::system::error_code ec, std::size_t) {
            if (ec && !self->closing_) self->fail("write: " + ec.message());
        });
    }

    void close() {
        closing_ = true;
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

private:
    void handshake() {
        static const std::string request =
            "GET /webrtcgateway/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sylkRTC-1\r\n\r\n";
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(request), [self](boost::system::error_code ec, std::size_t) {
            if (ec) return self->fail("handshake write: " + ec.message());
            asio::async_read_until(self->socket_, asio::dynamic_buffer(self->buffer_), "\r\n\r\n",
                                   [self](boost::system::error_code ec2, std::size_t header_size) {
                                       if (ec2) return self->fail("handshake read: " + ec2.message());
                                       if (self->buffer_.compare(0, 12, "HTTP/1.1 101") != 0)
                                           return self->fail("refused: " + self->buffer_.substr(0, 40));
                                       self->buffer_.erase(0, header_size);
                                       self->read_frames();
                                   });
        });
    }

    // Hands every complete frame in buffer_ on, then reads more.
    void read_frames() {
        std::size_t consumed = 0;
        for (;;) {
            std::string_view rest(buffer_.data() + consumed, buffer_.size() - consumed);
            if (rest.size() < 2) break;
            std::size_t length = static_cast<unsigned char>(rest[1]) & 0x7f, header = 2;
            if (length == 126) {
                if (rest.size() < 4) break;
                length = (static_cast<unsigned char>(rest[2]) << 8) | static_cast<unsigned char>(rest[3]);
                header = 4;
            }
            if (rest.size() < header + length) break;
            unsigned opcode = static_cast<unsigned char>(rest[0]) & 0x0f;
            consumed += header + length;
            if (opcode == 0x1) on_text_(rest.substr(header, length));
            else if (opcode == 0x8) return fail("closed by server");
        }
        buffer_.erase(0, consumed);
        auto self = shared_from_this();
        std::size_t old_size = buffer_.size();
        buffer_.resize(old_size + 4096);
        socket_.async_read_some(asio::buffer(&buffer_[old_size], 4096),
                                [self, old_size](boost::system::error_code ec, std::size_t n) {
                                    self->buffer_.resize(old_size + n);
                                    if (ec) {
                                        if (!self->closing_) self->fail("read: " + ec.message());
                                        return;
                                    }
                                    self->read_frames();
                                });
    }

    void fail(const std::string &why) {
        if (failed_) return;
        failed_ = true;
        boost::system::error_code ignored;
        socket_.close(ignored);
        if (on_fail_) on_fail_(why);
    }

    tcp::socket socket_;
    tcp::endpoint endpoint_;
    std::string buffer_;
    TextHandler on_text_;
    FailHandler on_fail_;
    bool closing_ = false;
    bool failed_ = false;
};

}  // namespace bench

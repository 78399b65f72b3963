// ws_load: a lean sylkRTC-1 load client on raw Boost.Asio (one thread).
//
//   ws_load rtt  PORT CONNECTIONS SECONDS   closed-loop add/remove_account requests;
//                                           prints requests, acks/s, p50/p99 latency
//   ws_load idle PORT CONNECTIONS           opens the connections, prints "held N",
//                                           keeps them open until stdin closes
//
// Each connection has one request in flight: send, wait for its answer, send the next.
#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// A client frame: FIN + text, masked with a zero key (valid, and the payload stays as is).
std::string text_frame(const std::string &payload) {
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

struct Stats {
    std::vector<std::uint32_t> latencies_us;
    std::size_t answers = 0;  // all answers, warm-up included (for CPU per request)
    std::size_t errors = 0;
    std::size_t ready = 0;
    std::size_t failed = 0;
    bool measuring = false;
    bool stopping = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(asio::io_context &io, tcp::endpoint endpoint, int index, Stats &stats, bool load)
        : socket_(io), endpoint_(endpoint), stats_(stats), load_(load) {
        std::string account = "bench" + std::to_string(index) + "@example.com";
        add_ = text_frame(R"({"sylkrtc":"add_account","transaction":"a","account":")" + account +
                          R"(","password":"0cc175b9c0f1b6a831c399e269772661"})");
        remove_ = text_frame(R"({"sylkrtc":"remove_account","transaction":"r","account":")" + account + "\"}");
    }

    void start() {
        auto self = shared_from_this();
        socket_.async_connect(endpoint_, [self](boost::system::error_code ec) {
            if (ec) return self->fail("connect: " + ec.message());
            self->socket_.set_option(tcp::no_delay(true));
            self->handshake();
        });
    }

private:
    void handshake() {
        request_ = "GET /webrtcgateway/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sylkRTC-1\r\n\r\n";
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(request_), [self](boost::system::error_code ec, std::size_t) {
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

    // Parses every complete frame in buffer_, then reads more.
    void read_frames() {
        for (;;) {
            if (buffer_.size() < 2) break;
            std::size_t length = static_cast<unsigned char>(buffer_[1]) & 0x7f, header = 2;
            if (length == 126) {
                if (buffer_.size() < 4) break;
                length = (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
                header = 4;
            }
            if (buffer_.size() < header + length) break;
            unsigned opcode = static_cast<unsigned char>(buffer_[0]) & 0x0f;
            std::string_view payload(buffer_.data() + header, length);
            if (opcode == 0x1) on_message(payload);
            else if (opcode == 0x8) return fail("closed by server");
            buffer_.erase(0, header + length);
        }
        auto self = shared_from_this();
        std::size_t old_size = buffer_.size();
        buffer_.resize(old_size + 4096);
        socket_.async_read_some(asio::buffer(&buffer_[old_size], 4096),
                                [self, old_size](boost::system::error_code ec, std::size_t n) {
                                    self->buffer_.resize(old_size + n);
                                    if (ec) {
                                        if (!self->stats_.stopping) self->fail("read: " + ec.message());
                                        return;
                                    }
                                    self->read_frames();
                                });
    }

    void on_message(std::string_view payload) {
        if (payload.find("\"ready\"") != std::string_view::npos) {
            ++stats_.ready;
            if (load_) send_next();
            return;
        }
        ++stats_.answers;
        if (payload.find("\"ack\"") == std::string_view::npos) ++stats_.errors;
        if (stats_.measuring)
            stats_.latencies_us.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at_).count()));
        if (!stats_.stopping) send_next();
    }

    void send_next() {
        const std::string &frame = adding_ ? add_ : remove_;
        adding_ = !adding_;
        sent_at_ = Clock::now();
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(frame), [self](boost::system::error_code ec, std::size_t) {
            if (ec && !self->stats_.stopping) self->fail("write: " + ec.message());
        });
    }

    void fail(const std::string &why) {
        if (stats_.failed++ < 5) std::cerr << "connection failed: " << why << "\n";
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    tcp::socket socket_;
    tcp::endpoint endpoint_;
    Stats &stats_;
    bool load_;
    std::string request_, buffer_, add_, remove_;
    bool adding_ = true;
    Clock::time_point sent_at_;
};

double percentile(std::vector<std::uint32_t> &sorted, double p) {
    if (sorted.empty()) return 0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))] / 1000.0;
}

// Opens `count` connections, at most 200 handshakes in flight, and runs until all are ready.
std::vector<std::shared_ptr<Connection>> open_all(asio::io_context &io, tcp::endpoint endpoint, int count,
                                                  Stats &stats, bool load) {
    std::vector<std::shared_ptr<Connection>> connections;
    for (int i = 0; i < count; ++i) {
        connections.push_back(std::make_shared<Connection>(io, endpoint, i, stats, load));
        connections.back()->start();
        while (static_cast<int>(stats.ready + stats.failed) + 200 <= i) io.run_one();
    }
    while (static_cast<int>(stats.ready + stats.failed) < count) io.run_one();
    return connections;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) {
        std::cerr << "usage: ws_load rtt PORT CONNECTIONS SECONDS | ws_load idle PORT CONNECTIONS\n";
        return 2;
    }
    std::string mode = argv[1];
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[2])));
    int count = std::stoi(argv[3]);
    asio::io_context io(1);
    Stats stats;

    if (mode == "idle") {
        auto connections = open_all(io, endpoint, count, stats, false);
        std::printf("held %zu failed %zu\n", stats.ready, stats.failed);
        std::fflush(stdout);
        std::string line;
        std::getline(std::cin, line);  // hold until told to stop
        return stats.failed ? 1 : 0;
    }

    double seconds = argc > 4 ? std::stod(argv[4]) : 5.0;
    auto connections = open_all(io, endpoint, count, stats, true);
    auto run_for = [&](double s) {
        io.restart();
        io.run_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)));
    };
    run_for(0.5);  // warm-up
    stats.measuring = true;
    auto start = Clock::now();
    run_for(seconds);
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    stats.measuring = false;
    stats.stopping = true;
    run_for(0.5);  // let answers in flight arrive

    auto &l = stats.latencies_us;
    std::sort(l.begin(), l.end());
    std::printf("connections %d requests %zu acks_per_s %.0f p50_ms %.3f p99_ms %.3f answers %zu errors %zu failed %zu\n",
                count, l.size(), l.size() / elapsed, percentile(l, 0.50), percentile(l, 0.99), stats.answers,
                stats.errors, stats.failed);
    return stats.failed || stats.errors ? 1 : 0;
}

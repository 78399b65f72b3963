// ws_load: request->ack load on the gateway.
//
//   ws_load rtt  PORT CONNECTIONS SECONDS   closed-loop add/remove_account requests;
//                                           prints requests, acks/s, p50/p99 latency
//   ws_load idle PORT CONNECTIONS           opens the connections, prints "held N",
//                                           keeps them open until stdin closes
//
// Each connection has one request in flight: send, wait for its answer, send the next.
#include "ws_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
    std::vector<std::uint32_t> latencies_us;
    std::size_t answers = 0;  // all answers, warm-up included (for CPU per request)
    std::size_t errors = 0;
    std::size_t ready = 0;
    std::size_t failed = 0;
    bool measuring = false;
    bool stopping = false;
};

// One connection alternating add_account and remove_account of its own account.
class LoadClient {
public:
    LoadClient(asio::io_context &io, tcp::endpoint endpoint, int index, Stats &stats, bool load)
        : connection_(std::make_shared<WsConnection>(io, endpoint)), stats_(stats), load_(load) {
        std::string account = "bench" + std::to_string(index) + "@example.com";
        add_ = text_frame(R"({"sylkrtc":"add_account","transaction":"a","account":")" + account +
                          R"(","password":"0cc175b9c0f1b6a831c399e269772661"})");
        remove_ = text_frame(R"({"sylkrtc":"remove_account","transaction":"r","account":")" + account + "\"}");
    }

    void start() {
        connection_->start([this](std::string_view payload) { on_text(payload); },
                           [this](const std::string &why) {
                               if (stats_.stopping) return;
                               if (stats_.failed++ < 5) std::cerr << "connection failed: " << why << "\n";
                           });
    }

private:
    void on_text(std::string_view payload) {
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
        connection_->send_frame(frame);
    }

    std::shared_ptr<WsConnection> connection_;
    Stats &stats_;
    bool load_;
    std::string add_, remove_;
    bool adding_ = true;
    Clock::time_point sent_at_;
};

double percentile(const std::vector<std::uint32_t> &sorted, double p) {
    if (sorted.empty()) return 0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))] / 1000.0;
}

// Opens `count` connections, at most 200 handshakes in flight, and runs until all are ready.
std::vector<std::unique_ptr<LoadClient>> open_all(asio::io_context &io, tcp::endpoint endpoint, int count,
                                                  Stats &stats, bool load) {
    std::vector<std::unique_ptr<LoadClient>> clients;
    for (int i = 0; i < count; ++i) {
        clients.push_back(std::make_unique<LoadClient>(io, endpoint, i, stats, load));
        clients.back()->start();
        while (static_cast<int>(stats.ready + stats.failed) + 200 <= i) io.run_one();
    }
    while (static_cast<int>(stats.ready + stats.failed) < count) io.run_one();
    return clients;
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
        auto clients = open_all(io, endpoint, count, stats, false);
        std::printf("held %zu failed %zu\n", stats.ready, stats.failed);
        std::fflush(stdout);
        std::string line;
        std::getline(std::cin, line);  // hold until told to stop
        return stats.failed ? 1 : 0;
    }

    double seconds = argc > 4 ? std::stod(argv[4]) : 5.0;
    auto clients = open_all(io, endpoint, count, stats, true);
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

// ws_register_load: registrations per second through the gateway, end to end
// (WebSocket register -> digest-challenged REGISTER at the registrar -> registered event).
//
//   ws_register_load PORT CONNECTIONS ACCOUNTS ROUNDS DOMAIN PASSWORD [PAUSE_MS [SECONDS]]
//
// Accounts bench0..bench{ACCOUNTS-1}@DOMAIN are spread over the connections. Each round
// adds them (fresh: no digest challenge remembered), registers all of them at once and
// times until the last "registered" event, then unregisters and removes them, and waits
// PAUSE_MS (default 6000: longer than SIP's timer K, see README) before the next. With
// SECONDS, no round starts after that many seconds (ROUNDS 0: as many as fit); PAUSE_MS 0
// runs the rounds back to back (the benchmark's sustained mode).
// Talks to its driver on stdin/stdout: prints "connected", waits for a line (the driver
// samples memory), runs the rounds (a line "round N registrations_per_s R ..." each, and
// "round N cycle_s C" once it is removed: C from add to removed), prints "holding" with
// every account of the last round registered, waits for a line, exits.
#include "ws_client.hpp"

#include "sip/digest.hpp"  // md5_hex, for the accounts' HA1

#include <chrono>
#include <cstdio>
#include <vector>

using namespace bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Totals {
    std::size_t ready = 0, acks = 0, errors = 0, registered = 0, unregistered = 0, failed = 0, broken = 0;
};

class AccountsClient {
public:
    AccountsClient(asio::io_context &io, tcp::endpoint endpoint, Totals &totals)
        : connection_(std::make_shared<WsConnection>(io, endpoint)), totals_(totals) {}

    std::vector<std::string> accounts;

    void start() {
        connection_->start(
            [this](std::string_view text) {
                if (text.find("\"ready\"") != std::string_view::npos) ++totals_.ready;
                else if (text.find("\"sylkrtc\":\"ack\"") != std::string_view::npos) ++totals_.acks;
                else if (text.find("\"sylkrtc\":\"error\"") != std::string_view::npos) ++totals_.errors;
                else if (text.find("\"state\":\"registered\"") != std::string_view::npos) ++totals_.registered;
                else if (text.find("\"state\":\"unregistered\"") != std::string_view::npos) ++totals_.unregistered;
                else if (text.find("\"state\":\"failed\"") != std::string_view::npos) {
                    if (totals_.failed++ < 5) std::cerr << "failed: " << text << "\n";
                }
            },
            [this](const std::string &why) {
                if (totals_.broken++ < 5) std::cerr << "connection failed: " << why << "\n";
            });
    }

    // add_account for each, with the HA1 of user:domain:password.
    void add_all(const std::string &domain, const std::string &password) {
        for (const auto &account : accounts) {
            std::string user = account.substr(0, account.find('@'));
            connection_->send_text(R"({"sylkrtc":"add_account","transaction":"t","account":")" + account +
                                   R"(","password":")" + sylk::sip::md5_hex(user + ":" + domain + ":" + password) + "\"}");
        }
    }

    // `kind` (register, unregister) for each account.
    void request_all(const char *kind) {
        for (const auto &account : accounts)
            connection_->send_text(std::string(R"({"sylkrtc":")") + kind + R"(","transaction":"t","account":")" +
                                   account + "\"}");
    }

private:
    std::shared_ptr<WsConnection> connection_;
    Totals &totals_;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc < 7 || argc > 9) {
        std::cerr << "usage: ws_register_load PORT CONNECTIONS ACCOUNTS ROUNDS DOMAIN PASSWORD [PAUSE_MS [SECONDS]]\n";
        return 2;
    }
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1])));
    std::size_t connections = std::stoul(argv[2]), accounts = std::stoul(argv[3]), rounds = std::stoul(argv[4]);
    std::string domain = argv[5], password = argv[6];
    auto pause = std::chrono::milliseconds(argc > 7 ? std::stoul(argv[7]) : 6000);
    auto duration = std::chrono::seconds(argc > 8 ? std::stoul(argv[8]) : 0);
    if (rounds == 0 && duration.count() == 0) {
        std::cerr << "ROUNDS 0 needs SECONDS\n";
        return 2;
    }
    asio::io_context io(1);
    Totals totals;

    std::vector<std::unique_ptr<AccountsClient>> clients;
    for (std::size_t i = 0; i < connections; ++i) clients.push_back(std::make_unique<AccountsClient>(io, endpoint, totals));
    for (std::size_t a = 0; a < accounts; ++a)
        clients[a % connections]->accounts.push_back("bench" + std::to_string(a) + "@" + domain);
    for (auto &client : clients) client->start();

    // Runs the loop until `done` holds or 60 s pass; false on timeout or a broken connection.
    auto run_until = [&](auto done) {
        auto deadline = Clock::now() + std::chrono::seconds(60);
        while (!done() && totals.broken == 0 && Clock::now() < deadline)
            io.run_one_for(std::chrono::milliseconds(100));
        return done();
    };
    if (!run_until([&] { return totals.ready == connections; })) return 1;
    std::printf("connected\n");
    std::fflush(stdout);
    std::string line;
    std::getline(std::cin, line);

    std::size_t failed_total = 0;
    auto first_start = Clock::now();
    for (std::size_t round = 1; rounds == 0 || round <= rounds; ++round) {
        auto cycle_start = Clock::now();
        totals.acks = 0;
        for (auto &client : clients) client->add_all(domain, password);
        if (!run_until([&] { return totals.acks == accounts; })) return 1;
        totals.registered = totals.unregistered = totals.acks = 0;
        auto start = Clock::now();
        for (auto &client : clients) client->request_all("register");
        if (!run_until([&] { return totals.registered + totals.failed >= accounts; })) {
            std::fprintf(stderr, "round %zu: only %zu of %zu registered\n", round, totals.registered, accounts);
            return 1;
        }
        double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        std::printf("round %zu registrations_per_s %.0f registered %zu failed %zu\n", round, totals.registered / elapsed,
                    totals.registered, totals.failed);
        std::fflush(stdout);
        failed_total += totals.failed;
        totals.failed = 0;
        if (round == rounds || (duration.count() > 0 && Clock::now() - first_start >= duration)) break;
        // Unregister and wait for it, so no round's traffic overlaps the next; then remove.
        totals.acks = 0;
        for (auto &client : clients) client->request_all("unregister");
        if (!run_until([&] { return totals.unregistered >= accounts && totals.acks >= accounts; })) return 1;
        totals.acks = 0;
        for (auto &client : clients) client->request_all("remove_account");
        if (!run_until([&] { return totals.acks >= accounts; })) return 1;
        std::printf("round %zu cycle_s %.3f\n", round,
                    std::chrono::duration<double>(Clock::now() - cycle_start).count());
        std::fflush(stdout);
        // Spaced rounds are independent bursts: by default the pause outlasts SIP's timer K
        // (5 s), for which libre keeps a finished UDP transaction (see README).
        if (pause.count() > 0) io.run_for(pause);
    }
    std::printf("holding\n");
    std::fflush(stdout);
    std::getline(std::cin, line);
    return failed_total || totals.errors ? 1 : 0;  // closing the connections unregisters the rest
}

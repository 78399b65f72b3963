#include "config/configuration.hpp"

#include "access/address_policy.hpp"
#include "protocol/account_address.hpp"

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

namespace sylk::config {

namespace json = boost::json;

std::string SipProxy::route_uri() const {
    std::string uri = "sip:";
    uri += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port) uri += ":" + std::to_string(*port);
    if (transport) uri += ";transport=" + *transport;
    return uri;
}

bool AllowList::allows(const std::string &value) const {
    return any || std::find(values.begin(), values.end(), value) != values.end();
}

namespace {

struct Failure {
    ConfigurationError error;
};

[[noreturn]] void fail(const std::string &setting, const std::string &reason) {
    throw Failure{{setting, reason}};
}

std::string as_string(const json::value &v, const std::string &key) {
    if (!v.is_string()) fail(key, "must be a string");
    return std::string(v.get_string());
}

std::int64_t as_integer(const json::value &v, const std::string &key, std::int64_t low,
                        std::int64_t high) {
    std::int64_t n = 0;
    if (v.is_int64()) {
        n = v.get_int64();
    } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(high)) {
        n = static_cast<std::int64_t>(v.get_uint64());
    } else {
        fail(key, "must be a whole number from " + std::to_string(low) + " to " +
                      std::to_string(high));
    }
    if (n < low || n > high)
        fail(key, "must be from " + std::to_string(low) + " to " + std::to_string(high) +
                      ", got " + std::to_string(n));
    return n;
}

// A comma separated string or an array of strings; items trimmed, empty ones dropped.
std::vector<std::string> as_string_list(const json::value &v, const std::string &key, bool lowercase) {
    std::vector<std::string> items;
    auto add = [&](std::string item) {
        auto not_space = [](unsigned char c) { return !std::isspace(c); };
        item.erase(item.begin(), std::find_if(item.begin(), item.end(), not_space));
        item.erase(std::find_if(item.rbegin(), item.rend(), not_space).base(), item.end());
        if (item.empty()) return;
        if (lowercase)
            std::transform(item.begin(), item.end(), item.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        items.push_back(item);
    };
    if (v.is_string()) {
        std::string text(v.get_string());
        std::size_t start = 0;
        while (start <= text.size()) {
            auto comma = text.find(',', start);
            if (comma == std::string::npos) comma = text.size();
            add(text.substr(start, comma - start));
            start = comma + 1;
        }
    } else if (v.is_array()) {
        for (const auto &item : v.get_array()) {
            if (!item.is_string()) fail(key, "must be a list of strings");
            add(std::string(item.get_string()));
        }
    } else {
        fail(key, "must be a list of strings");
    }
    return items;
}

// "*" (anything) or explicit values.
AllowList as_allow_list(const json::value &v, const std::string &key, bool lowercase) {
    std::vector<std::string> items = as_string_list(v, key, lowercase);
    if (items.empty()) fail(key, "must not be empty (use \"*\" to allow any)");
    AllowList list;
    list.any = std::find(items.begin(), items.end(), "*") != items.end();
    if (!list.any) list.values = std::move(items);
    return list;
}

// host[:port][;transport=udp|tcp|tls]
SipProxy parse_proxy(const std::string &proxy, const std::string &key) {
    SipProxy parsed;
    parsed.text = proxy;
    std::string rest = proxy;
    if (rest.rfind("sip:", 0) == 0) rest = rest.substr(4);
    std::string params;
    if (auto semi = rest.find(';'); semi != std::string::npos) {
        params = rest.substr(semi + 1);
        rest = rest.substr(0, semi);
    }
    std::string host = rest;
    if (!rest.empty() && rest.front() == '[') {  // IPv6 reference
        auto close = rest.find(']');
        if (close == std::string::npos) fail(key, "unterminated IPv6 address");
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') fail(key, "expected ':' after IPv6 address");
    } else if (auto colon = rest.find(':'); colon != std::string::npos) {
        host = rest.substr(0, colon);
        rest = rest.substr(colon);
    } else {
        rest.clear();
    }
    if (host.empty() || !protocol::is_valid_host(host))
        fail(key, "'" + proxy + "' is not host[:port][;transport=udp|tcp|tls]");
    if (!rest.empty()) {
        std::string port = rest.substr(1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
            std::stoi(port) < 1 || std::stoi(port) > 65535)
            fail(key, "port in '" + proxy + "' must be from 1 to 65535");
        parsed.port = static_cast<std::uint16_t>(std::stoi(port));
    }
    if (!params.empty() && params != "transport=udp" && params != "transport=tcp" &&
        params != "transport=tls")
        fail(key, "only ';transport=udp', ';transport=tcp' or ';transport=tls' may follow the host");
    parsed.host = host;
    if (!params.empty()) parsed.transport = params.substr(std::string("transport=").size());
    return parsed;
}

// "first:last", as SylkServer's [RTP] port_range.
void parse_port_range(Configuration &c, const std::string &text, const std::string &key) {
    auto number = [&](const std::string &part) {
        if (part.empty() || part.size() > 5 ||
            !std::all_of(part.begin(), part.end(), [](unsigned char ch) { return std::isdigit(ch); }) ||
            std::stoi(part) < 1024 || std::stoi(part) > 65535)
            fail(key, "'" + text + "' is not first:last with ports from 1024 to 65535");
        return static_cast<std::uint16_t>(std::stoi(part));
    };
    auto colon = text.find(':');
    if (colon == std::string::npos) fail(key, "'" + text + "' is not first:last (as in 50000:50500)");
    auto first = number(text.substr(0, colon));
    auto last = number(text.substr(colon + 1));
    // At least one whole even/odd pair.
    if (first + (first % 2) + 1 > last) fail(key, "'" + text + "' holds no even/odd port pair");
    c.rtp_port_first = first;
    c.rtp_port_last = last;
}

using Setter = std::function<void(Configuration &, const json::value &, const std::string &)>;

// A count setting (a limit) from `low` to `high`.
Setter size_setter(std::size_t Configuration::*field, std::int64_t low, std::int64_t high) {
    return [field, low, high](Configuration &c, const json::value &v, const std::string &k) {
        c.*field = static_cast<std::size_t>(as_integer(v, k, low, high));
    };
}

const std::map<std::string, Setter> &setters() {
    static const std::map<std::string, Setter> table = {
        {"web_listen_address",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.web_listen_address = as_string(v, k);
             if (c.web_listen_address.empty()) fail(k, "must not be empty");
         }},
        {"web_listen_port",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.web_listen_port = static_cast<std::uint16_t>(as_integer(v, k, 1, 65535));
         }},
        {"tls_certificate",
         [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_null()) c.tls_certificate = as_string(v, k);
         }},
        {"web_origins",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.web_origins = as_allow_list(v, k, false);
         }},
        {"sip_domains",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.sip_domains = as_allow_list(v, k, true);
             for (const auto &domain : c.sip_domains.values)
                 if (!protocol::is_valid_host(domain)) fail(k, "'" + domain + "' is not a domain");
         }},
        {"outbound_sip_proxy",
         [](Configuration &c, const json::value &v, const std::string &k) {
             if (v.is_null()) return c.outbound_sip_proxy.reset();
             std::string proxy = as_string(v, k);
             if (proxy.empty()) return c.outbound_sip_proxy.reset();
             c.outbound_sip_proxy = parse_proxy(proxy, k);
         }},
        {"trace_client",
         [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_bool()) fail(k, "must be true or false");
             c.trace_client = v.get_bool();
         }},
        {"websocket_ping_interval",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.websocket_ping_interval = static_cast<unsigned>(as_integer(v, k, 0, 86400));
         }},
        {"websocket_max_message_size",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.websocket_max_message_size =
                 static_cast<std::size_t>(as_integer(v, k, 1024, 64 * 1024 * 1024));
         }},
        {"sip_listen_address",
         [](Configuration &c, const json::value &v, const std::string &k) {
             c.sip_listen_address = as_string(v, k);
             if (c.sip_listen_address.empty()) fail(k, "must not be empty");
         }},
        {"sip_udp_port", [](Configuration &c, const json::value &v, const std::string &k) {
             c.sip_udp_port = static_cast<std::uint16_t>(as_integer(v, k, 0, 65535));
         }},
        {"sip_tcp_port", [](Configuration &c, const json::value &v, const std::string &k) {
             c.sip_tcp_port = static_cast<std::uint16_t>(as_integer(v, k, 0, 65535));
         }},
        {"sip_tls_port", [](Configuration &c, const json::value &v, const std::string &k) {
             c.sip_tls_port = static_cast<std::uint16_t>(as_integer(v, k, 0, 65535));
         }},
        {"sip_tls_certificate", [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_null()) c.sip_tls_certificate = as_string(v, k);
         }},
        {"sip_tls_ca_file", [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_null()) c.sip_tls_ca_file = as_string(v, k);
         }},
        {"sip_tls_verify_server", [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_bool()) fail(k, "must be true or false");
             c.sip_tls_verify_server = v.get_bool();
         }},
        {"dns_servers", [](Configuration &c, const json::value &v, const std::string &k) {
             c.dns_servers = as_string_list(v, k, false);
         }},
        {"register_expires", [](Configuration &c, const json::value &v, const std::string &k) {
             c.register_expires = static_cast<std::uint32_t>(as_integer(v, k, 10, 86400));
         }},
        {"decline_code", [](Configuration &c, const json::value &v, const std::string &k) {
             c.decline_code = static_cast<std::uint16_t>(as_integer(v, k, 400, 699));
         }},
        {"unregister_timeout", [](Configuration &c, const json::value &v, const std::string &k) {
             c.unregister_timeout = static_cast<unsigned>(as_integer(v, k, 0, 60));
         }},
        {"rtp_port_range", [](Configuration &c, const json::value &v, const std::string &k) {
             parse_port_range(c, as_string(v, k), k);
         }},
        {"rtp_timeout", [](Configuration &c, const json::value &v, const std::string &k) {
             c.rtp_timeout = static_cast<unsigned>(as_integer(v, k, 1, 3600));
         }},
        {"media_address", [](Configuration &c, const json::value &v, const std::string &k) {
             c.media_address = v.is_null() ? std::string() : as_string(v, k);
             if (c.media_address.empty()) return;
             unsigned char address[sizeof(struct in6_addr)];
             bool v4 = inet_pton(AF_INET, c.media_address.c_str(), address) == 1;
             if (!v4 && inet_pton(AF_INET6, c.media_address.c_str(), address) != 1)
                 fail(k, "'" + c.media_address + "' is not an IPv4 or IPv6 address");
             if (c.media_address == "0.0.0.0" || c.media_address == "::")
                 fail(k, "must be an address peers can send to, not " + c.media_address);
         }},
        {"media_workers", [](Configuration &c, const json::value &v, const std::string &k) {
             c.media_workers = static_cast<unsigned>(as_integer(v, k, 1, 64));
         }},
        {"media_io_uring", [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_bool()) fail(k, "must be true or false");
             c.media_io_uring = v.get_bool();
         }},
        {"allow_unregistered_calls", [](Configuration &c, const json::value &v, const std::string &k) {
             if (!v.is_bool()) fail(k, "must be true or false");
             c.allow_unregistered_calls = v.get_bool();
         }},
        {"allowed_networks", [](Configuration &c, const json::value &v, const std::string &k) {
             c.allowed_networks = as_string_list(v, k, true);
             for (const auto &network : c.allowed_networks)
                 if (!access::parse_network(network))
                     fail(k, "'" + network + "' is not an IP network (as 10.1.0.0/16 or fd00::/8) or address");
         }},
        {"admin_networks", [](Configuration &c, const json::value &v, const std::string &k) {
             c.admin_networks = as_string_list(v, k, true);
             for (const auto &network : c.admin_networks)
                 if (!access::parse_network(network))
                     fail(k, "'" + network + "' is not an IP network (as 127.0.0.0/8 or ::1) or address");
         }},
        {"max_connections", size_setter(&Configuration::max_connections, 1, 1000000)},
        {"max_connections_per_ip", size_setter(&Configuration::max_connections_per_ip, 1, 1000000)},
        {"max_accounts_per_connection", size_setter(&Configuration::max_accounts_per_connection, 1, 100000)},
        {"max_calls_per_connection", size_setter(&Configuration::max_calls_per_connection, 1, 100000)},
        {"max_call_setups_per_connection", size_setter(&Configuration::max_call_setups_per_connection, 1, 100000)},
        {"max_calls", size_setter(&Configuration::max_calls, 1, 1000000)},
        {"max_media_lines", size_setter(&Configuration::max_media_lines, 1, 64)},
        {"max_send_queue_bytes", size_setter(&Configuration::max_send_queue_bytes, 64 * 1024, 1024 * 1024 * 1024)},
        {"max_requests_per_second", [](Configuration &c, const json::value &v, const std::string &k) {
             c.max_requests_per_second = static_cast<unsigned>(as_integer(v, k, 1, 1000000));
         }},
        {"call_setup_timeout", [](Configuration &c, const json::value &v, const std::string &k) {
             c.call_setup_timeout = static_cast<unsigned>(as_integer(v, k, 5, 3600));
         }},
    };
    return table;
}

}  // namespace

ParsedConfiguration parse_configuration(const std::string &json_text) {
    ParsedConfiguration result;
    boost::system::error_code ec;
    json::value root = json::parse(json_text, ec);
    if (ec) {
        result.error = {"", "configuration is not valid JSON: " + ec.message()};
        return result;
    }
    if (!root.is_object()) {
        result.error = {"", "configuration must be a JSON object"};
        return result;
    }
    try {
        Configuration configuration;
        for (const auto &[key, value] : root.get_object()) {
            std::string name(key);
            auto setter = setters().find(name);
            if (setter == setters().end()) fail(name, "unknown setting");
            setter->second(configuration, value, name);
        }
        result.configuration = std::move(configuration);
    } catch (const Failure &failure) {
        result.error = failure.error;
    }
    return result;
}

}  // namespace sylk::config

#include "protocol/decoder.hpp"

#include "protocol/account_address.hpp"
#include "protocol/client_headers.hpp"
#include "protocol/display_name.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <unordered_map>

namespace sylk::protocol {

namespace json = boost::json;

namespace {

// Thrown while reading fields; becomes an error answer naming the field.
struct FieldProblem {
    std::string text;
};

class Fields {
public:
    explicit Fields(const json::object &object) : object_(object) {}

    std::string required_string(const char *name) const {
        const json::value *v = object_.if_contains(name);
        if (!v) throw FieldProblem{std::string("missing field: ") + name};
        if (!v->is_string()) throw FieldProblem{std::string("invalid field: ") + name + " must be a string"};
        return std::string(v->get_string());
    }

    std::string required_nonempty(const char *name) const {
        std::string value = required_string(name);
        if (value.empty()) throw FieldProblem{std::string("invalid field: ") + name + " must not be empty"};
        return value;
    }

    std::optional<std::string> optional_string(const char *name) const {
        const json::value *v = object_.if_contains(name);
        if (!v || v->is_null()) return std::nullopt;
        if (!v->is_string()) throw FieldProblem{std::string("invalid field: ") + name + " must be a string"};
        return std::string(v->get_string());
    }

    std::string account() const { return account_with_address().first; }

    std::pair<std::string, AccountAddress> account_with_address() const {
        std::string account = required_string("account");
        auto address = parse_account_address(account);
        if (!address) throw FieldProblem{"invalid field: account '" + account + "' is not user@domain"};
        return {std::move(account), std::move(*address)};
    }

    std::optional<bool> optional_bool(const char *name) const {
        const json::value *v = object_.if_contains(name);
        if (!v || v->is_null()) return std::nullopt;
        if (!v->is_bool()) throw FieldProblem{std::string("invalid field: ") + name + " must be true or false"};
        return v->get_bool();
    }

    // A string that goes into a SIP header line: 1 to `max` characters, no control characters.
    std::string required_line(const char *name, std::size_t max) const {
        std::string value = required_nonempty(name);
        if (auto problem = text_line_problem(name, value, max)) throw FieldProblem{"invalid field: " + *problem};
        return value;
    }

    const json::object &object() const { return object_; }

private:
    const json::object &object_;
};

IceCandidate decode_candidate(const json::value &v) {
    if (!v.is_object()) throw FieldProblem{"invalid field: candidates must hold objects"};
    Fields fields(v.get_object());
    IceCandidate candidate;
    candidate.candidate = fields.required_string("candidate");
    candidate.sdp_mid = fields.optional_string("sdpMid");
    if (const json::value *index = v.get_object().if_contains("sdpMLineIndex"); index && !index->is_null()) {
        if (index->is_int64() && index->get_int64() >= 0 && index->get_int64() < 1024)
            candidate.sdp_mline_index = static_cast<unsigned>(index->get_int64());
        else
            throw FieldProblem{"invalid field: sdpMLineIndex must be a small non-negative integer"};
    }
    return candidate;
}

// sylkRTC-2's `headers`: a list of {name, value}, each checked before it may reach SIP.
Headers decode_headers(const Fields &fields) {
    Headers headers;
    const json::value *list = fields.object().if_contains("headers");
    if (!list || list->is_null()) return headers;
    if (!list->is_array()) throw FieldProblem{"invalid field: headers must be a list of {name, value}"};
    if (list->get_array().size() > kMaxClientHeaders)
        throw FieldProblem{"invalid field: headers holds more than " + std::to_string(kMaxClientHeaders) + " headers"};
    for (const auto &item : list->get_array()) {
        if (!item.is_object()) throw FieldProblem{"invalid field: headers must be a list of {name, value}"};
        Fields header(item.get_object());
        Header decoded{header.required_string("name"), header.required_string("value")};
        if (auto problem = client_header_problem(decoded)) throw FieldProblem{"invalid field: " + *problem};
        headers.push_back(std::move(decoded));
    }
    return headers;
}

std::vector<std::string> decode_header_prefixes(const Fields &fields) {
    std::vector<std::string> prefixes;
    const json::value *list = fields.object().if_contains("incoming_header_prefixes");
    if (!list || list->is_null()) return prefixes;
    if (!list->is_array() || list->get_array().size() > kMaxHeaderPrefixes)
        throw FieldProblem{"invalid field: incoming_header_prefixes must be a list of at most " +
                           std::to_string(kMaxHeaderPrefixes) + " strings"};
    for (const auto &item : list->get_array()) {
        if (!item.is_string()) throw FieldProblem{"invalid field: incoming_header_prefixes must hold strings"};
        std::string prefix(item.get_string());
        if (!is_header_name_prefix(prefix))
            throw FieldProblem{"invalid field: incoming_header_prefixes holds '" + prefix.substr(0, 64) +
                               "', not the start of a header name"};
        if (std::find(prefixes.begin(), prefixes.end(), prefix) == prefixes.end()) prefixes.push_back(std::move(prefix));
    }
    return prefixes;
}

using RequestDecoder = Request (*)(const Fields &);

const std::unordered_map<std::string_view, RequestDecoder> &sylkrtc1_decoders() {
    // Each request is known by the original page's name, the released server's name,
    // and an underscore spelling of the latter.
    static const RequestDecoder add_account = [](const Fields &f) -> Request {
        auto [account, address] = f.account_with_address();
        AddAccount request{std::move(account), std::move(address), f.required_string("password"),
                           f.optional_string("display_name"), false, std::nullopt, {}};
        if (!is_valid_ha1(request.ha1))
            throw FieldProblem{"invalid field: password must be the HA1 digest (32 lowercase hex characters)"};
        if (request.display_name)
            if (auto problem = display_name_problem(*request.display_name))
                throw FieldProblem{"invalid field: " + *problem};
        return request;
    };
    static const RequestDecoder remove_account = [](const Fields &f) -> Request {
        return RemoveAccount{f.account()};
    };
    static const RequestDecoder register_account = [](const Fields &f) -> Request {
        return RegisterAccount{f.account()};
    };
    static const RequestDecoder unregister_account = [](const Fields &f) -> Request {
        return UnregisterAccount{f.account()};
    };
    static const RequestDecoder session_create = [](const Fields &f) -> Request {
        SessionCreate request{f.account(), f.required_nonempty("session"), f.required_string("uri"),
                              f.required_nonempty("sdp"), {}};
        if (!is_valid_call_target(request.uri))
            throw FieldProblem{"invalid field: uri '" + request.uri + "' is not user@domain"};
        return request;
    };
    static const RequestDecoder session_answer = [](const Fields &f) -> Request {
        return SessionAnswer{f.required_nonempty("session"), f.required_nonempty("sdp"), {}};
    };
    static const RequestDecoder session_trickle = [](const Fields &f) -> Request {
        SessionTrickle request{f.required_nonempty("session"), {}};
        const json::value *candidates = f.object().if_contains("candidates");
        if (!candidates) throw FieldProblem{"missing field: candidates"};
        if (!candidates->is_array()) throw FieldProblem{"invalid field: candidates must be a list"};
        for (const auto &candidate : candidates->get_array())
            request.candidates.push_back(decode_candidate(candidate));
        return request;
    };
    static const RequestDecoder session_terminate = [](const Fields &f) -> Request {
        return SessionTerminate{f.required_nonempty("session")};
    };
    static const RequestDecoder session_dtmf = [](const Fields &f) -> Request {
        SessionDtmf request{f.required_nonempty("session"), '0', 0};
        std::string digit = f.required_string("digit");
        static const std::string_view digits = "0123456789*#ABCDabcd";
        if (digit.size() != 1 || digits.find(digit[0]) == std::string_view::npos)
            throw FieldProblem{"invalid field: digit must be one of 0-9 * # A-D"};
        request.digit = static_cast<char>(digit[0] >= 'a' ? digit[0] - 'a' + 'A' : digit[0]);
        if (const json::value *duration = f.object().if_contains("duration"); duration && !duration->is_null()) {
            if (!duration->is_int64() || duration->get_int64() < 40 || duration->get_int64() > 5000)
                throw FieldProblem{"invalid field: duration must be milliseconds from 40 to 5000"};
            request.duration_ms = static_cast<unsigned>(duration->get_int64());
        }
        return request;
    };
    static const RequestDecoder session_update = [](const Fields &f) -> Request {
        return SessionUpdate{f.required_nonempty("session"), f.required_nonempty("sdp")};
    };
    static const std::unordered_map<std::string_view, RequestDecoder> table = {
        {"add_account", add_account},         {"account-add", add_account},
        {"account_add", add_account},         {"remove_account", remove_account},
        {"account-remove", remove_account},   {"account_remove", remove_account},
        {"register", register_account},       {"account-register", register_account},
        {"account_register", register_account}, {"unregister", unregister_account},
        {"account-unregister", unregister_account}, {"account_unregister", unregister_account},
        {"session-create", session_create},   {"session_create", session_create},
        {"session-answer", session_answer},   {"session_answer", session_answer},
        {"session-trickle", session_trickle}, {"session_trickle", session_trickle},
        {"session-terminate", session_terminate}, {"session_terminate", session_terminate},
        {"session-dtmf-info", session_dtmf},  {"session_dtmf_info", session_dtmf},
        {"session-update", session_update},   {"session_update", session_update},
    };
    return table;
}

// sylkRTC-2: the dashed names only, its extra fields, its extra requests, and a clear
// refusal for the features this gateway does not carry.
const std::unordered_map<std::string_view, RequestDecoder> &sylkrtc2_decoders() {
    static const RequestDecoder add_account = [](const Fields &f) -> Request {
        auto [account, address] = f.account_with_address();
        AddAccount request{std::move(account), std::move(address), f.required_nonempty("password"),
                           f.optional_string("display_name"), false, std::nullopt, {}};
        // An HA1 by default; the app's ha1:false sends the password itself.
        if (request.ha1.size() > 9999) throw FieldProblem{"invalid field: password is longer than 9999 characters"};
        request.password_is_plain = !is_valid_ha1(request.ha1);
        if (request.display_name)
            if (auto problem = display_name_problem(*request.display_name))
                throw FieldProblem{"invalid field: " + *problem};
        if (auto agent = f.optional_string("user_agent")) {
            if (auto problem = text_line_problem("user_agent", *agent, 256)) throw FieldProblem{"invalid field: " + *problem};
            if (!agent->empty()) request.user_agent = std::move(*agent);
        }
        request.incoming_header_prefixes = decode_header_prefixes(f);
        return request;
    };
    static const RequestDecoder device_token = [](const Fields &f) -> Request {
        return DeviceToken{f.account(), f.required_line("token", 512), f.required_line("platform", 64),
                           f.required_line("device", 256), f.required_line("app", 256),
                           f.optional_bool("silent").value_or(false)};
    };
    static const RequestDecoder fetch_addressbook = [](const Fields &f) -> Request {
        return FetchAddressbook{f.account()};
    };
    static const RequestDecoder lookup_public_key = [](const Fields &f) -> Request {
        std::string uri = f.required_string("uri");
        if (!parse_account_address(uri)) throw FieldProblem{"invalid field: uri '" + uri + "' is not user@domain"};
        return LookupPublicKey{std::move(uri)};
    };
    static const RequestDecoder ping = [](const Fields &) -> Request { return Ping{}; };
    static const RequestDecoder session_create = [](const Fields &f) -> Request {
        auto request = std::get<SessionCreate>(sylkrtc1_decoders().at("session-create")(f));
        request.headers = decode_headers(f);
        return request;
    };
    static const RequestDecoder session_answer = [](const Fields &f) -> Request {
        auto request = std::get<SessionAnswer>(sylkrtc1_decoders().at("session-answer")(f));
        request.headers = decode_headers(f);
        return request;
    };
    // Lenient: any error on a trickle makes the client end its call, and the gateway
    // (ICE-lite) does not use the browser's candidates.
    static const RequestDecoder session_trickle = [](const Fields &f) -> Request {
        const json::value *candidates = f.object().if_contains("candidates");
        if (!candidates) throw FieldProblem{"missing field: candidates"};
        if (!candidates->is_array()) throw FieldProblem{"invalid field: candidates must be a list"};
        return SessionTrickle{f.required_nonempty("session"), {}};
    };
    const auto &v1 = sylkrtc1_decoders();
    static const std::unordered_map<std::string_view, RequestDecoder> table = {
        {"ping", ping},
        {"account-add", add_account},
        {"account-remove", v1.at("account-remove")},
        {"account-register", v1.at("account-register")},
        {"account-unregister", v1.at("account-unregister")},
        {"account-devicetoken", device_token},
        {"account-fetch-addressbook", fetch_addressbook},
        {"lookup-public-key", lookup_public_key},
        {"session-create", session_create},
        {"session-answer", session_answer},
        {"session-trickle", session_trickle},
        {"session-terminate", v1.at("session-terminate")},
        {"session-dtmf-info", v1.at("session-dtmf-info")},
        {"session-update", v1.at("session-update")},
    };
    return table;
}

// sylkRTC-2 requests of messaging, storage and sync, address book changes and video
// rooms: not carried by this gateway.
bool is_unsupported_sylkrtc2(std::string_view name) {
    static const std::array<std::string_view, 10> names = {
        "account-message", "account-disposition-notification", "account-sync-conversations",
        "account-mark-conversation-read", "account-remove-message", "account-remove-conversation",
        "account-update-addressbook", "session-message", "conference-invite", "videoroom-ctl"};
    return name.rfind("videoroom-", 0) == 0 || std::find(names.begin(), names.end(), name) != names.end();
}

// sylkRTC-2 lets addresses carry their scheme: "sip:alice@example.com" is alice@example.com.
void strip_address_schemes(json::object &object) {
    for (const char *field : {"account", "uri"}) {
        json::value *value = object.if_contains(field);
        if (!value || !value->is_string()) continue;
        std::string_view text(value->get_string().data(), value->get_string().size());
        for (std::string_view scheme : {"sip:", "sips:"})
            if (text.size() > scheme.size() && text.substr(0, scheme.size()) == scheme) {
                *value = json::string(text.substr(scheme.size()));
                break;
            }
    }
}

}  // namespace

DecodedMessage decode_message(std::string_view text, Dialect dialect) {
    DecodedMessage result;
    boost::system::error_code ec;
    json::value root = json::parse(text, ec);
    if (ec) {
        result.problem = "message is not JSON: " + ec.message();
        return result;
    }
    if (!root.is_object()) {
        result.problem = "message is not a JSON object";
        return result;
    }
    json::object &object = root.get_object();
    const json::value *transaction = object.if_contains("transaction");
    bool has_transaction = transaction && transaction->is_string();
    if (has_transaction) result.transaction = std::string(transaction->get_string());

    const json::value *type = object.if_contains("sylkrtc");
    if (!type || !type->is_string()) {
        result.problem = type ? "invalid field: sylkrtc must be a string" : "missing field: sylkrtc";
        if (has_transaction) result.outcome = DecodedMessage::Outcome::reply_error;
        return result;
    }
    std::string_view name(type->get_string().data(), type->get_string().size());
    if (!has_transaction) {
        result.problem = transaction ? "request '" + std::string(name) + "' has a non-string transaction"
                                     : "request '" + std::string(name) + "' has no transaction";
        return result;
    }
    const auto &decoders = dialect == Dialect::sylkrtc2 ? sylkrtc2_decoders() : sylkrtc1_decoders();
    auto decoder = decoders.find(name);
    if (decoder == decoders.end()) {
        if (dialect == Dialect::sylkrtc2 && is_unsupported_sylkrtc2(name)) {
            result.outcome = DecodedMessage::Outcome::request;
            result.request = Unsupported{std::string(name)};
            return result;
        }
        result.outcome = DecodedMessage::Outcome::reply_error;
        result.problem = "unknown request: " + std::string(name);
        return result;
    }
    try {
        if (dialect == Dialect::sylkrtc2) strip_address_schemes(object);
        result.request = decoder->second(Fields(object));
        result.outcome = DecodedMessage::Outcome::request;
    } catch (const FieldProblem &problem) {
        result.outcome = DecodedMessage::Outcome::reply_error;
        result.problem = problem.text;
    }
    return result;
}

std::string masked_for_log(std::string_view text) {
    boost::system::error_code ec;
    json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) return "<" + std::to_string(text.size()) + " bytes, not a JSON object>";
    if (auto *password = root.get_object().if_contains("password")) *password = "<HA1 hidden>";
    if (auto *token = root.get_object().if_contains("token")) *token = "<push token hidden>";  // sylkRTC-2
    return json::serialize(root);
}

}  // namespace sylk::protocol

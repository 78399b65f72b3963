// Text frame -> typed request, applying the protocol's bad-input rules, in the
// connection's dialect: each knows its own request names and fields.
#pragma once

#include "protocol/dialect.hpp"
#include "protocol/requests.hpp"

#include <string>
#include <string_view>

namespace sylk::protocol {

struct DecodedMessage {
    enum class Outcome {
        request,      // `request` and `transaction` are set
        reply_error,  // answer {"sylkrtc":"error"} on `transaction` with `problem`
        drop          // log `problem` and drop the message
    };
    Outcome outcome = Outcome::drop;
    std::string transaction;
    Request request;
    std::string problem;
};

DecodedMessage decode_message(std::string_view text, Dialect dialect = Dialect::sylkrtc1);

// The message with every secret (the "password", sylkRTC-2's push "token") replaced,
// for trace logs.
// Text that is not a JSON object is summarised, never echoed, as it may hold secrets.
std::string masked_for_log(std::string_view text);

}  // namespace sylk::protocol

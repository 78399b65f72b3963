// The pure half of the DNS answer filter (dns_filter.hpp): reads a DNS response and says
// whether it may reach libre's resolver. A response that holds an A or AAAA record (in
// any section: SRV answers carry their targets' addresses as additional records) for an
// address the policy refuses is replaced by REFUSED, so that a client's domain cannot
// steer an INVITE or a REGISTER at the gateway's own host or its intranet.
#pragma once

#include "access/address_policy.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sylk::sip {

struct DnsVerdict {
    bool well_formed = false;
    std::uint16_t id = 0;
    std::optional<std::string> refusal;  // why the response may not pass ("10.0.0.7 is a private address ...")
    std::vector<std::uint8_t> refused;   // the REFUSED response to give instead: header and question only
};

// Reads `response`; a response that cannot be read is not well formed (and is dropped).
DnsVerdict check_dns_response(const std::uint8_t *response, std::size_t size, const access::AddressPolicy &policy);

}  // namespace sylk::sip

#include "sip/dns_answer_check.hpp"

#include <re.h>

#include <arpa/inet.h>

#include <memory>

namespace sylk::sip {

namespace {

struct MbufFree {
    void operator()(struct mbuf *buffer) const { mem_deref(buffer); }
};

std::string address_text(const struct dnsrr &record) {
    char text[INET6_ADDRSTRLEN] = "";
    if (record.type == DNS_TYPE_A) {
        std::uint32_t network_order = htonl(record.rdata.a.addr);
        inet_ntop(AF_INET, &network_order, text, sizeof text);
    } else {
        inet_ntop(AF_INET6, record.rdata.aaaa.addr, text, sizeof text);
    }
    return text;
}

}  // namespace

DnsVerdict check_dns_response(const std::uint8_t *response, std::size_t size, const access::AddressPolicy &policy) {
    DnsVerdict verdict;
    if (size < 12 || size > 65535) return verdict;
    std::unique_ptr<struct mbuf, MbufFree> buffer(mbuf_alloc(size));
    if (!buffer || mbuf_write_mem(buffer.get(), response, size) != 0) return verdict;
    buffer->pos = 0;
    struct dnshdr header {};
    if (dns_hdr_decode(buffer.get(), &header) != 0 || !header.qr) return verdict;
    for (unsigned i = 0; i < header.nq; ++i) {
        char *name = nullptr;
        if (dns_dname_decode(buffer.get(), &name, 0) != 0) return verdict;
        mem_deref(name);
        if (mbuf_get_left(buffer.get()) < 4) return verdict;
        mbuf_advance(buffer.get(), 4);  // type and class
    }
    std::size_t question_end = buffer->pos;
    unsigned records = header.nans + header.nauth + header.nadd;
    for (unsigned i = 0; i < records; ++i) {
        struct dnsrr *record = nullptr;
        if (dns_rr_decode(buffer.get(), &record, 0) != 0) return verdict;
        if (!verdict.refusal && (record->type == DNS_TYPE_A || record->type == DNS_TYPE_AAAA))
            verdict.refusal = policy.refusal(address_text(*record));
        mem_deref(record);
    }
    verdict.well_formed = true;
    verdict.id = header.id;
    if (verdict.refusal) {
        // The same header and question, no records, rcode REFUSED (5), not truncated.
        verdict.refused.assign(response, response + question_end);
        verdict.refused[2] = static_cast<std::uint8_t>(verdict.refused[2] & ~0x02);          // TC off
        verdict.refused[3] = static_cast<std::uint8_t>((verdict.refused[3] & 0xF0) | 0x05);  // RCODE
        for (std::size_t at = 6; at < 12; ++at) verdict.refused[at] = 0;                       // AN, NS, AR counts
    }
    return verdict;
}

}  // namespace sylk::sip

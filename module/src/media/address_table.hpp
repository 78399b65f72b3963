// Which browser client a source address (IPv4 or IPv6, with its port) belongs to: the
// browser port's lookup for every RTP and RTCP datagram it reads. An open-addressing
// table of flat entries (linear probing, erased by shifting back, so no tombstones): one
// probe usually touches one cache line, where std::unordered_map walked from its bucket
// array to a node of its own on the heap, two or three cache misses per packet at 1,000
// calls (perf: the map's find was the largest of the gateway's own costs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <netinet/in.h>

#include <re.h>

namespace sylk::media {

template <typename Value>
class AddressTable {
public:
    // The value for `address`, or null.
    Value *find(const struct sa &address) const {
        if (entries_.empty()) return nullptr;
        Key key = key_of(address);
        for (std::size_t i = slot_of(key);; i = (i + 1) & mask()) {
            const Entry &entry = entries_[i];
            if (!entry.value) return nullptr;
            if (entry.key == key) return entry.value;
        }
    }

    // Routes `address` to `value` (not null), replacing what it had.
    void set(const struct sa &address, Value *value) {
        if (2 * (size_ + 1) > entries_.size()) grow();
        place(key_of(address), value);
    }

    // Forgets `address`; true if it was there.
    bool erase(const struct sa &address) {
        if (entries_.empty()) return false;
        Key key = key_of(address);
        for (std::size_t i = slot_of(key);; i = (i + 1) & mask()) {
            if (!entries_[i].value) return false;
            if (entries_[i].key == key) {
                remove_at(i);
                return true;
            }
        }
    }

    // Forgets every address routed to `value`; how many there were.
    std::size_t erase_value(const Value *value) {
        std::size_t erased = 0;
        for (std::size_t i = 0; i < entries_.size();) {
            if (entries_[i].value == value) {
                remove_at(i);  // may move a later entry into i: look at i again
                ++erased;
            } else {
                ++i;
            }
        }
        return erased;
    }

    std::size_t size() const { return size_; }

private:
    // The address as compared: family, port and 16 bytes of address (an IPv4 address in
    // the low 4), so that an IPv4 and an IPv6 source never match.
    struct Key {
        std::uint64_t high = 0, low = 0;
        std::uint32_t port_and_family = 0;
        bool operator==(const Key &other) const {
            return high == other.high && low == other.low && port_and_family == other.port_and_family;
        }
    };
    struct Entry {
        Key key;
        Value *value = nullptr;  // null: a free slot
    };

    static Key key_of(const struct sa &address);
    static std::uint64_t hash(const Key &key) {
        std::uint64_t h = key.high * 0x9e3779b97f4a7c15ull ^ key.low ^ (std::uint64_t(key.port_and_family) << 32);
        h ^= h >> 33;  // mixes the high bits, which the multiplication filled, into the low ones
        h *= 0xff51afd7ed558ccdull;
        return h ^ (h >> 33);
    }
    std::size_t mask() const { return entries_.size() - 1; }
    std::size_t slot_of(const Key &key) const { return static_cast<std::size_t>(hash(key)) & mask(); }

    void place(const Key &key, Value *value) {
        for (std::size_t i = slot_of(key);; i = (i + 1) & mask()) {
            Entry &entry = entries_[i];
            if (!entry.value) {
                entry = {key, value};
                ++size_;
                return;
            }
            if (entry.key == key) {
                entry.value = value;
                return;
            }
        }
    }

    // Frees slot i, then moves back each later entry of the probe run that the gap would
    // otherwise cut off from its home slot.
    void remove_at(std::size_t i) {
        --size_;
        std::size_t gap = i;
        for (std::size_t j = (i + 1) & mask(); entries_[j].value; j = (j + 1) & mask()) {
            std::size_t home = slot_of(entries_[j].key);
            // Movable when its home is not within (gap, j], cyclically.
            bool home_after_gap = gap <= j ? (home > gap && home <= j) : (home > gap || home <= j);
            if (!home_after_gap) {
                entries_[gap] = entries_[j];
                gap = j;
            }
        }
        entries_[gap] = Entry{};
    }

    void grow() {
        std::vector<Entry> old = std::move(entries_);
        entries_.assign(old.empty() ? 64 : 2 * old.size(), Entry{});
        size_ = 0;
        for (const Entry &entry : old)
            if (entry.value) place(entry.key, entry.value);
    }

    std::vector<Entry> entries_;  // a power of two long, at most half full
    std::size_t size_ = 0;
};

template <typename Value>
typename AddressTable<Value>::Key AddressTable<Value>::key_of(const struct sa &address) {
    Key key;
    // The fields read directly, not through libre's sa_af and sa_port: this runs per packet.
    // Both families keep the port at the same place (network order, as compared).
    int family = address.u.sa.sa_family;
    key.port_and_family = std::uint32_t(address.u.in.sin_port) << 16 | static_cast<std::uint16_t>(family);
    if (family == AF_INET) {
        key.low = address.u.in.sin_addr.s_addr;
    } else if (family == AF_INET6) {
        // libre's header names `in6` only where HAVE_INET6 is defined; the union holds it
        // all the same (its padding is as long).
        sockaddr_in6 in6;
        std::memcpy(&in6, &address.u, sizeof in6);
        const std::uint8_t *bytes = in6.sin6_addr.s6_addr;
        for (int i = 0; i < 8; ++i) {
            key.high = key.high << 8 | bytes[i];
            key.low = key.low << 8 | bytes[8 + i];
        }
    }
    return key;
}

}  // namespace sylk::media

// The times a measured RTP packet carries between bench/call_load and bench/rtp_echo,
// and the clocks they are read on. After the packet's 12-byte RTP header come three
// 8-byte times in nanoseconds on CLOCK_REALTIME (the clock of the kernel's receive
// times, SO_TIMESTAMPNS, which both processes read): when call_load sent it, when the
// echo's kernel received it, when the echo sent it back (the last two zero until then).
#pragma once

#include <sys/socket.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sylk::bench {

constexpr std::size_t kSentAt = 12, kPhoneReceivedAt = 20, kPhoneSentAt = 28, kTimesEnd = 36;

inline std::uint64_t clock_ns(clockid_t clock) {
    timespec now{};
    ::clock_gettime(clock, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

// Now, on the clock of the packets' times.
inline std::uint64_t realtime_ns() { return clock_ns(CLOCK_REALTIME); }

// The kernel's receive time of a message read with SO_TIMESTAMPNS on; 0 when it has none.
inline std::uint64_t kernel_receive_ns(msghdr &message) {
    for (cmsghdr *control = CMSG_FIRSTHDR(&message); control; control = CMSG_NXTHDR(&message, control)) {
        if (control->cmsg_level != SOL_SOCKET || control->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec stamp{};
        std::memcpy(&stamp, CMSG_DATA(control), sizeof stamp);
        return static_cast<std::uint64_t>(stamp.tv_sec) * 1000000000u + static_cast<std::uint64_t>(stamp.tv_nsec);
    }
    return 0;
}

}  // namespace sylk::bench

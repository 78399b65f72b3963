// Visits one slice of an unordered map's buckets: slice i of n covers buckets
// [count * i / n, count * (i + 1) / n), so n calls with i = 0 .. n - 1 visit every entry
// once, as long as the map is not rehashed meanwhile (a rehash may then visit an entry
// twice or skip it for one cycle). For spreading a periodic walk over many entries (the
// media worker's timeout checks) across several ticks. `visit` gets each entry and must
// not insert or erase.
#pragma once

#include <cstddef>

namespace sylk::media {

template <typename UnorderedMap, typename Visit>
void visit_bucket_slice(UnorderedMap &map, std::size_t slice, std::size_t slices, Visit visit) {
    std::size_t buckets = map.bucket_count();
    std::size_t first = buckets * slice / slices, last = buckets * (slice + 1) / slices;
    for (std::size_t bucket = first; bucket < last; ++bucket)
        for (auto entry = map.begin(bucket); entry != map.end(bucket); ++entry) visit(*entry);
}

}  // namespace sylk::media

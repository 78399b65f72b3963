// Owning pointers to libre objects: mem_deref() when they go. libre's reference
// counts are not atomic, so an RePtr lives and dies on the thread of its loop.
#pragma once

#include <memory>

#include <re.h>

namespace sylk::media {

struct MemDeref {
    void operator()(void *object) const { mem_deref(object); }
};

template <typename T>
using RePtr = std::unique_ptr<T, MemDeref>;

}  // namespace sylk::media

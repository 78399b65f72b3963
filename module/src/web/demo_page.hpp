// The demo page (module/web/demo/index.html), compiled into the module by
// module/web/embed_file.cmake and served under /webrtcgateway/ by the web endpoint.
#pragma once

#include <string_view>

namespace sylk::web {

std::string_view demo_page_html();

}  // namespace sylk::web

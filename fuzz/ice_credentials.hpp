// The ICE credentials the ice_check target answers with, shared with the program that
// writes its seeds (tools/ice_check_seeds.cpp): a seed is a valid check only if both
// use the same ufrags and password.
#pragma once

namespace sylk::fuzz {

constexpr const char *kLocalUfrag = "gw12";
constexpr const char *kLocalPwd = "gatewaypasswordgatewaypw";  // 24 characters, as ours are
constexpr const char *kRemoteUfrag = "br34";

}  // namespace sylk::fuzz

#define BOOST_TEST_MODULE sylk_webrtcgateway_unit
#include <boost/test/unit_test.hpp>

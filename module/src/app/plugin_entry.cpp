// The exported C ABI (sylk/application_plugin.h): translates calls into Application
// methods and every C++ exception into a return code plus message.
#include "sylk/application_plugin.h"

#include "app/application.hpp"
#include "config/configuration.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#ifndef SYLK_MODULE_VERSION
#define SYLK_MODULE_VERSION "0.0.0"
#endif

struct sylk_application {
    sylk::app::Application application;
};

namespace {

int report(sylk_error *error, int code, const std::string &setting, const std::string &message) {
    if (error) {
        error->code = code;
        std::snprintf(error->setting, sizeof error->setting, "%s", setting.c_str());
        std::snprintf(error->message, sizeof error->message, "%s", message.c_str());
    }
    return code;
}

void clear(sylk_error *error) {
    if (error) *error = sylk_error{};
}

// Runs `body`, mapping what it throws onto the ABI's codes.
template <typename Body>
int guarded(sylk_error *error, Body body) {
    clear(error);
    try {
        body();
        return SYLK_OK;
    } catch (const sylk::config::SettingError &failure) {
        return report(error, SYLK_ERR_RUNTIME, failure.setting(), failure.what());
    } catch (const std::logic_error &failure) {
        return report(error, SYLK_ERR_STATE, "", failure.what());
    } catch (const std::bad_alloc &) {
        return report(error, SYLK_ERR_RUNTIME, "", "out of memory");
    } catch (const std::exception &failure) {
        return report(error, SYLK_ERR_RUNTIME, "", failure.what());
    } catch (...) {
        return report(error, SYLK_ERR_RUNTIME, "", "unknown failure");
    }
}

int create(const char *configuration_json, const sylk_host_callbacks *callbacks, sylk_application **out,
           sylk_error *error) {
    clear(error);
    if (!configuration_json || !out)
        return report(error, SYLK_ERR_INVALID_ARGUMENT, "", "configuration and output pointer are required");
    *out = nullptr;
    auto parsed = sylk::config::parse_configuration(configuration_json);
    if (!parsed.configuration)
        return report(error, SYLK_ERR_CONFIGURATION, parsed.error.setting,
                      parsed.error.setting.empty() ? parsed.error.reason
                                                   : parsed.error.setting + ": " + parsed.error.reason);
    return guarded(error, [&] {
        *out = new sylk_application{sylk::app::Application(std::move(*parsed.configuration), callbacks)};
    });
}

int start(sylk_application *app, sylk_error *error) {
    if (!app) return report(error, SYLK_ERR_INVALID_ARGUMENT, "", "no application");
    return guarded(error, [&] { app->application.start(); });
}

int stop(sylk_application *app, sylk_error *error) {
    if (!app) return report(error, SYLK_ERR_INVALID_ARGUMENT, "", "no application");
    return guarded(error, [&] { app->application.stop(); });
}

void destroy(sylk_application *app) {
    if (!app) return;
    try {
        delete app;  // stops first when still running
    } catch (...) {
        // Destruction must not throw across the ABI; the application is gone either way.
    }
}

char *stats(sylk_application *app) {
    if (!app) return nullptr;
    try {
        return strdup(app->application.stats_json().c_str());
    } catch (...) {
        return nullptr;
    }
}

void release_string(char *text) { std::free(text); }

const sylk_application_plugin kPlugin = {
    SYLK_APPLICATION_ABI_VERSION, "webrtcgateway", SYLK_MODULE_VERSION, create, start, stop, destroy,
    stats, release_string,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const sylk_application_plugin *
sylk_application_entry(uint32_t requested_abi_version, sylk_error *error) {
    clear(error);
    if (requested_abi_version != SYLK_APPLICATION_ABI_VERSION) {
        report(error, SYLK_ERR_ABI_VERSION, "",
               "host asks for plugin ABI version " + std::to_string(requested_abi_version) +
                   " but this module (webrtcgateway " SYLK_MODULE_VERSION ") implements version " +
                   std::to_string(SYLK_APPLICATION_ABI_VERSION));
        return nullptr;
    }
    return &kPlugin;
}

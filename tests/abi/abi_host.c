/*
 * A minimal host written in C against sylk/application_plugin.h only: loads the module
 * with dlopen, checks the version handshake and error reporting, and drives two full
 * create/start/stop/destroy cycles, each proven live by a real WebSocket handshake.
 * Usage: abi_host PATH_TO_MODULE.so      Exit status 0 when every check passed.
 *
 * abi_host PATH_TO_MODULE.so --serve CONFIGURATION_JSON
 *     Creates and starts the application with that configuration, prints "serving" on
 *     stdout, and runs until SIGTERM or SIGINT; then stops and destroys it. Exit status 0
 *     when all of that succeeded. tests/abi/test_abi_host_registrations.py drives it with
 *     WebSocket clients and a real Kamailio: in a sanitizer build this is a process with no
 *     Python in it, so LeakSanitizer checks the module's WebSocket and SIP paths at exit.
 *     The module is not dlclose()d in this mode, so that leak reports name its functions.
 * abi_host --leak-self-test
 *     Loses one allocation on purpose and exits 0: under LeakSanitizer the exit status
 *     must be LeakSanitizer's, which proves leak checking is on in that environment.
 */
#include "sylk/application_plugin.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <pthread.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int failures = 0;
static int passes = 0;
static atomic_int log_lines = 0;

#define CHECK(condition, ...)                                   \
    do {                                                        \
        if (condition) {                                        \
            passes++;                                           \
            printf("ok: " __VA_ARGS__);                         \
        } else {                                                \
            printf("FAILED (%s:%d): ", __FILE__, __LINE__);     \
            printf(__VA_ARGS__);                                \
            failures++;                                         \
        }                                                       \
        printf("\n");                                           \
    } while (0)

static void host_log(void *context, enum sylk_log_level level, const char *message) {
    (void)context;
    atomic_fetch_add(&log_lines, 1);
    fprintf(stderr, "module log [%d]: %s\n", (int)level, message);
}

static int free_tcp_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    bind(fd, (struct sockaddr *)&address, sizeof address);
    getsockname(fd, (struct sockaddr *)&address, &length);
    close(fd);
    return ntohs(address.sin_port);
}

/* Opens a WebSocket with sylkRTC-1; returns 1 when the upgrade and the ready event arrive. */
static int websocket_ready(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval timeout = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return 0;
    }
    const char *request =
        "GET /webrtcgateway/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sylkRTC-1\r\n\r\n";
    if (write(fd, request, strlen(request)) < 0) {
        close(fd);
        return 0;
    }
    char buffer[4096] = {0};
    size_t used = 0;
    while (used < sizeof buffer - 1 && !strstr(buffer, "\"ready\"")) {
        ssize_t n = read(fd, buffer + used, sizeof buffer - 1 - used);
        if (n <= 0) break;
        used += (size_t)n;
    }
    close(fd);
    return strstr(buffer, "HTTP/1.1 101") != NULL && strstr(buffer, "sylkRTC-1") != NULL &&
           strstr(buffer, "{\"sylkrtc\":\"event\",\"event\":\"ready\"}") != NULL;
}

static int stats_has(const sylk_application_plugin *plugin, sylk_application *app, const char *text) {
    char *stats = plugin->stats(app);
    int found = stats && strstr(stats, text) != NULL;
    plugin->release_string(stats);
    return found;
}

static void full_cycle(const sylk_application_plugin *plugin, int round) {
    int port = free_tcp_port();
    char configuration[512];
    snprintf(configuration, sizeof configuration,
             "{\"web_listen_address\":\"127.0.0.1\",\"web_listen_port\":%d,"
             "\"sip_udp_port\":%d,\"sip_tcp_port\":%d,\"sip_tls_port\":%d}",
             port, free_tcp_port(), free_tcp_port(), free_tcp_port());
    sylk_host_callbacks callbacks = {.context = NULL, .log = host_log};
    sylk_application *app = NULL;
    sylk_error error;
    int code = plugin->create(configuration, &callbacks, &app, &error);
    CHECK(code == SYLK_OK && app != NULL, "round %d: create (%s)", round, error.message);
    if (!app) return;

    sylk_error state_error;
    CHECK(plugin->stop(app, &state_error) == SYLK_ERR_STATE, "round %d: stop before start is refused: %s",
          round, state_error.message);
    CHECK(websocket_ready(port) == 0, "round %d: nothing listens before start", round);
    CHECK(plugin->start(app, &error) == SYLK_OK, "round %d: start (%s)", round, error.message);
    CHECK(plugin->start(app, &state_error) == SYLK_ERR_STATE, "round %d: second start is refused: %s", round,
          state_error.message);
    CHECK(websocket_ready(port), "round %d: a WebSocket client gets the ready event", round);
    CHECK(stats_has(plugin, app, "\"connections\":"), "round %d: stats are JSON with connections", round);
    CHECK(plugin->stop(app, &error) == SYLK_OK, "round %d: stop (%s)", round, error.message);
    CHECK(stats_has(plugin, app, "\"connections\":0"), "round %d: no connection after stop", round);
    CHECK(websocket_ready(port) == 0, "round %d: nothing listens after stop", round);
    plugin->destroy(app);
}

static const sylk_application_plugin *load(const char *path) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return NULL;
    }
    sylk_application_entry_fn entry;
    *(void **)(&entry) = dlsym(library, SYLK_APPLICATION_ENTRY_SYMBOL);
    sylk_error error;
    const sylk_application_plugin *plugin = entry ? entry(SYLK_APPLICATION_ABI_VERSION, &error) : NULL;
    if (!plugin) fprintf(stderr, "no plugin table in %s\n", path);
    return plugin;
}

static int serve(const char *module, const char *configuration) {
    /* Blocked before any module thread exists, so every thread inherits the mask and
       only sigwait() below receives them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    const sylk_application_plugin *plugin = load(module);
    if (!plugin) return 1;
    sylk_host_callbacks callbacks = {.context = NULL, .log = host_log};
    sylk_application *app = NULL;
    sylk_error error;
    if (plugin->create(configuration, &callbacks, &app, &error) != SYLK_OK) {
        fprintf(stderr, "create: %s: %s\n", error.setting, error.message);
        return 1;
    }
    if (plugin->start(app, &error) != SYLK_OK) {
        fprintf(stderr, "start: %s: %s\n", error.setting, error.message);
        plugin->destroy(app);
        return 1;
    }
    printf("serving\n");
    fflush(stdout);
    int received = 0;
    sigwait(&stop_signals, &received);
    fprintf(stderr, "abi_host: signal %d, stopping\n", received);
    int code = plugin->stop(app, &error);
    if (code != SYLK_OK) fprintf(stderr, "stop: %s\n", error.message);
    plugin->destroy(app);
    fprintf(stderr, "abi_host: stopped\n");
    return code == SYLK_OK ? 0 : 1;
}

static void *lost;

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--leak-self-test") == 0) {
        lost = malloc(4242);
        memset(lost, 1, 4242);
        lost = NULL; /* no reference left anywhere: a leak */
        return 0;
    }
    if (argc == 4 && strcmp(argv[2], "--serve") == 0) return serve(argv[1], argv[3]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODULE.so [--serve CONFIGURATION_JSON] | --leak-self-test\n", argv[0]);
        return 2;
    }
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CHECK(library != NULL, "dlopen %s", argv[1]);
    if (!library) return 1;
    sylk_application_entry_fn entry;
    *(void **)(&entry) = dlsym(library, SYLK_APPLICATION_ENTRY_SYMBOL); /* POSIX's way around ISO C's rule */
    CHECK(entry != NULL, "entry symbol exported");
    if (!entry) return 1;

    sylk_error error;
    const sylk_application_plugin *plugin = entry(SYLK_APPLICATION_ABI_VERSION + 1, &error);
    CHECK(plugin == NULL && error.code == SYLK_ERR_ABI_VERSION, "another ABI version is refused");
    CHECK(strstr(error.message, "ABI version 2") && strstr(error.message, "version 1"),
          "the refusal names both versions: %s", error.message);

    plugin = entry(SYLK_APPLICATION_ABI_VERSION, &error);
    CHECK(plugin != NULL && error.code == SYLK_OK, "the host's ABI version is accepted");
    if (!plugin) return 1;
    CHECK(plugin->abi_version == SYLK_APPLICATION_ABI_VERSION, "table carries the ABI version");
    CHECK(strcmp(plugin->name, "webrtcgateway") == 0, "application name is %s", plugin->name);

    sylk_application *app = (sylk_application *)0x1;
    CHECK(plugin->create("{\"web_listen_port\": 0}", NULL, &app, &error) == SYLK_ERR_CONFIGURATION &&
              app == NULL && strcmp(error.setting, "web_listen_port") == 0,
          "a bad value is refused and names its setting: %s / %s", error.setting, error.message);
    CHECK(plugin->create("{not json", NULL, &app, &error) == SYLK_ERR_CONFIGURATION,
          "malformed JSON is refused: %s", error.message);
    CHECK(plugin->create(NULL, NULL, &app, &error) == SYLK_ERR_INVALID_ARGUMENT, "NULL configuration is refused");

    full_cycle(plugin, 1);
    full_cycle(plugin, 2);
    CHECK(atomic_load(&log_lines) > 0, "module logs reached the host's callback (%d lines)", atomic_load(&log_lines));

    /* Port taken: start fails with the setting named, and nothing is left running. */
    int port = free_tcp_port();
    int blocker = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(blocker, (struct sockaddr *)&address, sizeof address);
    listen(blocker, 1);
    char configuration[256];
    snprintf(configuration, sizeof configuration, "{\"web_listen_port\":%d,\"sip_udp_port\":0,"
             "\"sip_tcp_port\":0,\"sip_tls_port\":0}", port);
    CHECK(plugin->create(configuration, NULL, &app, &error) == SYLK_OK, "create on a busy port");
    CHECK(plugin->start(app, &error) == SYLK_ERR_RUNTIME && strcmp(error.setting, "web_listen_port") == 0,
          "start on a busy port fails naming web_listen_port: %s", error.message);
    plugin->destroy(app);
    close(blocker);

    dlclose(library);
    printf("%d passed, %d failed\n", passes, failures);
    return failures ? 1 : 0;
}

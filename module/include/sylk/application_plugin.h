/*
 * sylk/application_plugin.h - the plugin ABI between a SylkServer-style host and
 * a native application module (libsylk-webrtcgateway.so).
 *
 * This header is the whole contract. A host:
 *   1. dlopen()s the module and looks up SYLK_APPLICATION_ENTRY_SYMBOL;
 *   2. calls it with the ABI version it was compiled against (SYLK_APPLICATION_ABI_VERSION).
 *      A module built for another version returns NULL and explains why in the error;
 *   3. uses the returned table: create -> start -> stop -> destroy, any number of times,
 *      several applications at once if it likes.
 *
 * Rules that hold for every function of the table:
 *   - Nothing throws across this boundary. Failures are a negative return code plus a
 *     message written into the caller's sylk_error (which may be NULL).
 *   - The host owns configuration: the module reads no file of the host's; everything
 *     arrives as one JSON object in create().
 *   - create/start/stop/destroy/stats are called from one host thread at a time for a
 *     given application. The log callback may be called from any module thread, at any
 *     moment between create() and the return of destroy(); it must be thread-safe and
 *     must not call back into the module.
 */
#ifndef SYLK_APPLICATION_PLUGIN_H
#define SYLK_APPLICATION_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this header. */
#define SYLK_APPLICATION_ABI_VERSION 1u

/* The exported symbol a host looks up with dlsym(). */
#define SYLK_APPLICATION_ENTRY_SYMBOL "sylk_application_entry"

/* Return codes. 0 is success, every failure is negative. */
enum sylk_status {
    SYLK_OK = 0,
    SYLK_ERR_ABI_VERSION = -1,   /* the host asked for an ABI this module does not speak */
    SYLK_ERR_INVALID_ARGUMENT = -2, /* NULL where a value is required */
    SYLK_ERR_CONFIGURATION = -3, /* the configuration JSON is malformed or has a bad value */
    SYLK_ERR_STATE = -4,         /* call not valid now (start twice, stop before start...) */
    SYLK_ERR_RUNTIME = -5        /* a system failure: could not bind, TLS files unreadable... */
};

enum sylk_log_level {
    SYLK_LOG_DEBUG = 10,   /* values match Python's logging levels on purpose */
    SYLK_LOG_INFO = 20,
    SYLK_LOG_WARNING = 30,
    SYLK_LOG_ERROR = 40
};

/*
 * Filled by the module when a call fails. `setting` names the configuration key at
 * fault (empty when the failure is not about one key), so a host can point its user
 * to the file, section and key it read that value from.
 */
typedef struct sylk_error {
    int code;
    char setting[64];
    char message[512];
} sylk_error;

/* Callbacks the host hands to create(). */
typedef struct sylk_host_callbacks {
    void *context;  /* passed back unchanged as the first argument */
    void (*log)(void *context, enum sylk_log_level level, const char *message);
} sylk_host_callbacks;

typedef struct sylk_application sylk_application; /* opaque */

typedef struct sylk_application_plugin {
    uint32_t abi_version;      /* == SYLK_APPLICATION_ABI_VERSION */
    const char *name;          /* the application name, e.g. "webrtcgateway" */
    const char *version;       /* the module's release, e.g. "0.1.0" */

    /* Validates configuration_json and builds the application; opens no socket yet.
     * On success *out is set and must later be given to destroy(). `callbacks` is
     * copied; it may be NULL (then the module logs nothing). */
    int (*create)(const char *configuration_json, const sylk_host_callbacks *callbacks,
                  sylk_application **out, sylk_error *error);

    /* Opens its listening sockets and starts its threads. Returns once it serves. */
    int (*start)(sylk_application *app, sylk_error *error);

    /* Ends every connection, call and registration, then its threads; returns when done
     * (bounded in time). Calling stop on an application that is not started is an error. */
    int (*stop)(sylk_application *app, sylk_error *error);

    /* Frees everything; stops first if still running. NULL is accepted. */
    void (*destroy)(sylk_application *app);

    /* Current counters as a JSON object, e.g. {"connections":1,"accounts":2,"sessions":0}.
     * Returns a NUL-terminated string to be released with release_string(), or NULL. */
    char *(*stats)(sylk_application *app);

    void (*release_string)(char *text);
} sylk_application_plugin;

/*
 * The entry point. Returns the module's table when requested_abi_version is one it
 * implements, else NULL with error->code == SYLK_ERR_ABI_VERSION and a message naming
 * both versions.
 */
typedef const sylk_application_plugin *(*sylk_application_entry_fn)(
    uint32_t requested_abi_version, sylk_error *error);

const sylk_application_plugin *sylk_application_entry(uint32_t requested_abi_version,
                                                      sylk_error *error);

#ifdef __cplusplus
}
#endif

#endif /* SYLK_APPLICATION_PLUGIN_H */

// sylk_native: loads a Sylk application module (any .so that exports the plugin ABI of
// sylk/application_plugin.h) and exposes it to Python. Module log lines go to a Python
// logging.Logger. Blocking calls release the GIL so module threads can log meanwhile.
#include "sylk/application_plugin.h"

#include <pybind11/pybind11.h>

#include <dlfcn.h>

#include <memory>
#include <string>

namespace py = pybind11;

namespace {

py::object &error_type() {
    static py::object type;  // set in the module init below
    return type;
}

// Raises sylk_native.Error(code, setting, message).
[[noreturn]] void raise(int code, const std::string &setting, const std::string &message) {
    PyErr_SetObject(error_type().ptr(), py::make_tuple(code, setting, message).ptr());
    throw py::error_already_set();
}

[[noreturn]] void raise(const sylk_error &error) { raise(error.code, error.setting, error.message); }

// Lives as long as the application it logs for; the module calls it from its own threads.
struct LogSink {
    py::object logger;

    static void forward(void *context, sylk_log_level level, const char *message) {
        if (!Py_IsInitialized()) return;
        py::gil_scoped_acquire gil;
        try {
            static_cast<LogSink *>(context)->logger.attr("log")(static_cast<int>(level), message);
        } catch (py::error_already_set &error) {
            error.discard_as_unraisable("sylk_native log callback");
        }
    }
};

class Application {
public:
    Application(const sylk_application_plugin *plugin, const std::string &configuration_json,
                py::object logger)
        : plugin_(plugin), sink_(std::make_unique<LogSink>(LogSink{std::move(logger)})) {
        sylk_host_callbacks callbacks{sink_.get(), &LogSink::forward};
        sylk_error error{};
        int code;
        {
            py::gil_scoped_release released;
            code = plugin_->create(configuration_json.c_str(), &callbacks, &app_, &error);
        }
        if (code != SYLK_OK) raise(error);
    }

    ~Application() { close(); }

    void start() { call(plugin_->start); }
    void stop() { call(plugin_->stop); }

    py::object stats() {
        if (!app_) raise(SYLK_ERR_STATE, "", "application is closed");
        char *text = plugin_->stats(app_);
        if (!text) raise(SYLK_ERR_RUNTIME, "", "stats unavailable");
        std::string json(text);
        plugin_->release_string(text);
        return py::module_::import("json").attr("loads")(json);
    }

    // Stops (if running) and frees the native application; idempotent.
    void close() {
        if (!app_) return;
        sylk_application *app = app_;
        app_ = nullptr;
        py::gil_scoped_release released;
        plugin_->destroy(app);
    }

private:
    void call(int (*function)(sylk_application *, sylk_error *)) {
        if (!app_) raise(SYLK_ERR_STATE, "", "application is closed");
        sylk_error error{};
        int code;
        {
            py::gil_scoped_release released;
            code = function(app_, &error);
        }
        if (code != SYLK_OK) raise(error);
    }

    const sylk_application_plugin *plugin_;
    std::unique_ptr<LogSink> sink_;
    sylk_application *app_ = nullptr;
};

// A loaded module. The library is never unloaded: the threads and static objects of
// a C++ module make dlclose() a risk with no benefit for a server process.
class Plugin {
public:
    explicit Plugin(const std::string &path) : path_(path) {
        void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!library) raise(SYLK_ERR_RUNTIME, "", std::string("cannot load ") + path + ": " + dlerror());
        auto entry = reinterpret_cast<sylk_application_entry_fn>(dlsym(library, SYLK_APPLICATION_ENTRY_SYMBOL));
        if (!entry)
            raise(SYLK_ERR_RUNTIME, "", path + " is not a Sylk application module (no " +
                                            SYLK_APPLICATION_ENTRY_SYMBOL + ")");
        sylk_error error{};
        plugin_ = entry(SYLK_APPLICATION_ABI_VERSION, &error);
        if (!plugin_) raise(error);
    }

    std::string name() const { return plugin_->name; }
    std::string version() const { return plugin_->version; }
    const std::string &path() const { return path_; }

    std::unique_ptr<Application> create(const py::dict &configuration, py::object logger) {
        std::string json = py::str(py::module_::import("json").attr("dumps")(configuration));
        return std::make_unique<Application>(plugin_, json, std::move(logger));
    }

private:
    std::string path_;
    const sylk_application_plugin *plugin_ = nullptr;
};

}  // namespace

PYBIND11_MODULE(sylk_native, m) {
    m.doc() = "Loads Sylk application modules through their C plugin ABI";
    m.attr("ABI_VERSION") = SYLK_APPLICATION_ABI_VERSION;
    py::object error = py::reinterpret_steal<py::object>(
        PyErr_NewExceptionWithDoc("sylk_native.Error",
                                  "A module call failed; args are (code, setting, message).",
                                  PyExc_RuntimeError, nullptr));
    error_type() = error;
    m.attr("Error") = error;
    m.attr("ERR_ABI_VERSION") = static_cast<int>(SYLK_ERR_ABI_VERSION);
    m.attr("ERR_CONFIGURATION") = static_cast<int>(SYLK_ERR_CONFIGURATION);
    m.attr("ERR_STATE") = static_cast<int>(SYLK_ERR_STATE);
    m.attr("ERR_RUNTIME") = static_cast<int>(SYLK_ERR_RUNTIME);

    py::class_<Application>(m, "Application")
        .def("start", &Application::start, "Open the listening sockets and serve")
        .def("stop", &Application::stop, "End every connection and stop serving")
        .def("stats", &Application::stats, "Counters as a dict")
        .def("close", &Application::close, "Stop if needed and free the application");

    py::class_<Plugin>(m, "Plugin")
        .def(py::init<const std::string &>(), py::arg("path"))
        .def_property_readonly("name", &Plugin::name)
        .def_property_readonly("version", &Plugin::version)
        .def_property_readonly("path", &Plugin::path)
        .def("create", &Plugin::create, py::arg("configuration"), py::arg("logger"),
             "Validate the configuration (a dict) and build an application");
}

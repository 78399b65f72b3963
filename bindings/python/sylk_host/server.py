"""The host process: reads the configuration directory, creates every enabled
application, starts them, and stops them on SIGINT/SIGTERM."""

import argparse
import json
import logging
import os
import signal
import sys

import sylk_native

from sylk_host import applications, settings

log = logging.getLogger("sylk.host")

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_CONFIGURATION = 2


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="sylk-host", description=__doc__)
    parser.add_argument("--config-dir", default="/etc/sylkserver",
                        help="directory with config.ini and <application>.ini (default: %(default)s)")
    parser.add_argument("--applications-dir",
                        default=os.environ.get("SYLK_APPLICATIONS_DIR", applications.DEFAULT_APPLICATIONS_DIR),
                        help="directory of application modules (default: $SYLK_APPLICATIONS_DIR or %(default)s)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser.parse_args(argv)


def create_applications(config, plugins):
    """Creates (validates) every enabled application; nothing is started yet."""
    disabled = settings.disabled_applications(config)
    created = []
    try:
        for name, plugin in sorted(plugins.items()):
            if name in disabled:
                log.info("application %s is disabled in config.ini", name)
                continue
            app_log = logging.getLogger(f"sylk.{name}")
            app_settings = settings.application_settings(config, name, app_log)
            try:
                created.append((name, plugin.create(app_settings, app_log)))
            except sylk_native.Error as error:
                code, setting, message = error.args
                raise settings.ConfigurationError(*settings.locate(name, setting, config),
                                                  _without_key(message, setting)) from None
    except Exception:
        for _, app in created:
            app.close()
        raise
    return created


def _without_key(message, setting):
    # The module prefixes its reason with its own key name; the host names the ini key instead.
    prefix = f"{setting}: "
    return message[len(prefix):] if setting and message.startswith(prefix) else message


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=arguments.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = settings.ConfigDirectory(arguments.config_dir)
        plugins = applications.discover(arguments.applications_dir, log)
        created = create_applications(config, plugins)
    except settings.ConfigurationError as error:
        log.error("configuration error: %s", error)
        return EXIT_CONFIGURATION

    # Module threads inherit this mask, so the signals reach only sigwait below.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals | {signal.SIGUSR1})
    started = []
    exit_code = EXIT_OK
    try:
        for name, app in created:
            try:
                app.start()
            except sylk_native.Error as error:
                code, setting, message = error.args
                path, section, key = settings.locate(name, setting, config) if setting else (None, None, None)
                where = f" ({path} [{section}] {key})" if setting else ""
                log.error("cannot start %s: %s%s", name, message, where)
                exit_code = EXIT_CONFIGURATION if setting else EXIT_RUNTIME
                return exit_code
            started.append((name, app))
        log.info("running: %s", ", ".join(name for name, _ in started) or "no applications enabled")
        while (received := signal.sigwait(stop_signals | {signal.SIGUSR1})) == signal.SIGUSR1:
            for name, app in started:  # SIGUSR1: each application's counters into the log
                log.info("stats %s: %s", name, json.dumps(app.stats(), sort_keys=True))
        log.info("received %s, stopping", signal.Signals(received).name)
    finally:
        for name, app in reversed(started):
            try:
                app.stop()
            except sylk_native.Error as error:
                log.error("stopping %s failed: %s", name, error.args[2])
                exit_code = EXIT_RUNTIME
        for _, app in created:
            app.close()
    log.info("stopped")
    return exit_code

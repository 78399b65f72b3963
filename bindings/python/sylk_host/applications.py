"""Finds the installed application modules: every .so in the applications directory
that exports the Sylk plugin ABI."""

import glob
import os

import sylk_native

DEFAULT_APPLICATIONS_DIR = "/usr/lib/sylkserver/applications"


def discover(directory, log):
    """Returns {application name: sylk_native.Plugin}; modules that fail to load are logged and skipped."""
    plugins = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.so"))):
        try:
            plugin = sylk_native.Plugin(path)
        except sylk_native.Error as error:
            log.error("cannot load application module %s: %s", path, error.args[2])
            continue
        if plugin.name in plugins:
            log.warning("application %s found twice; using %s", plugin.name, plugins[plugin.name].path)
            continue
        plugins[plugin.name] = plugin
    return plugins

"""Reads the host's configuration directory (config.ini, <application>.ini) into the
JSON settings each application module is created with.

The host owns the files; modules only ever see the resulting dict. Every value keeps
where it came from, so a value the module refuses is reported as file, section, key.
"""

import configparser
import dataclasses
import os


class ConfigurationError(Exception):
    """A bad configuration value: where it is and why it is refused."""

    def __init__(self, path, section, key, reason):
        self.path, self.section, self.key, self.reason = path, section, key, reason
        where = " ".join(part for part in (path, f"[{section}]" if section else "", key or "") if part)
        super().__init__(f"{where}: {reason}")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One module setting and the file, section and key it is read from."""

    module_key: str
    file: str  # file name inside the configuration directory
    section: str
    key: str
    kind: str  # "string", "path", "integer", "boolean", "list", "optional"


# The webrtcgateway module's settings. Listening addresses live in config.ini's
# [WebServer], [SIP] and [TLS] sections, as in SylkServer; the gateway's own in
# webrtcgateway.ini.
APPLICATION_SETTINGS = {
    "webrtcgateway": [
        Setting("web_listen_address", "config.ini", "WebServer", "local_ip", "string"),
        Setting("web_listen_port", "config.ini", "WebServer", "local_port", "integer"),
        Setting("tls_certificate", "config.ini", "WebServer", "certificate", "path"),
        Setting("sip_listen_address", "config.ini", "SIP", "local_ip", "string"),
        Setting("sip_udp_port", "config.ini", "SIP", "local_udp_port", "integer"),
        Setting("sip_tcp_port", "config.ini", "SIP", "local_tcp_port", "integer"),
        Setting("sip_tls_port", "config.ini", "SIP", "local_tls_port", "integer"),
        Setting("dns_servers", "config.ini", "SIP", "nameservers", "list"),
        Setting("sip_tls_certificate", "config.ini", "TLS", "certificate", "path"),
        Setting("sip_tls_ca_file", "config.ini", "TLS", "ca_list", "path"),
        Setting("sip_tls_verify_server", "config.ini", "TLS", "verify_server", "boolean"),
        Setting("web_origins", "webrtcgateway.ini", "General", "web_origins", "list"),
        Setting("sip_domains", "webrtcgateway.ini", "General", "sip_domains", "list"),
        Setting("outbound_sip_proxy", "webrtcgateway.ini", "General", "outbound_sip_proxy", "optional"),
        Setting("trace_client", "webrtcgateway.ini", "General", "trace_client", "boolean"),
        Setting("websocket_ping_interval", "webrtcgateway.ini", "General", "websocket_ping_interval", "integer"),
        Setting("websocket_max_message_size", "webrtcgateway.ini", "General", "websocket_max_message_size", "integer"),
        Setting("register_expires", "webrtcgateway.ini", "General", "register_expires", "integer"),
        Setting("unregister_timeout", "webrtcgateway.ini", "General", "unregister_timeout", "integer"),
        Setting("decline_code", "webrtcgateway.ini", "General", "decline_code", "integer"),
        Setting("rtp_port_range", "config.ini", "RTP", "port_range", "string"),
        Setting("rtp_timeout", "config.ini", "RTP", "timeout", "integer"),
        Setting("media_address", "config.ini", "SIP", "advertised_ip", "optional"),
        Setting("media_workers", "webrtcgateway.ini", "General", "media_workers", "integer"),
        Setting("media_io_uring", "webrtcgateway.ini", "General", "media_io_uring", "boolean"),
        Setting("allow_unregistered_calls", "webrtcgateway.ini", "General", "allow_unregistered_calls", "boolean"),
        Setting("allowed_networks", "webrtcgateway.ini", "General", "allowed_networks", "list"),
        Setting("admin_networks", "webrtcgateway.ini", "General", "admin_networks", "list"),
        Setting("max_connections", "webrtcgateway.ini", "Limits", "max_connections", "integer"),
        Setting("max_connections_per_ip", "webrtcgateway.ini", "Limits", "max_connections_per_ip", "integer"),
        Setting("max_accounts_per_connection", "webrtcgateway.ini", "Limits", "max_accounts_per_connection", "integer"),
        Setting("max_calls_per_connection", "webrtcgateway.ini", "Limits", "max_calls_per_connection", "integer"),
        Setting("max_call_setups_per_connection", "webrtcgateway.ini", "Limits", "max_call_setups_per_connection",
                "integer"),
        Setting("max_calls", "webrtcgateway.ini", "Limits", "max_calls", "integer"),
        Setting("max_media_lines", "webrtcgateway.ini", "Limits", "max_media_lines", "integer"),
        Setting("max_requests_per_second", "webrtcgateway.ini", "Limits", "max_requests_per_second", "integer"),
        Setting("max_send_queue_bytes", "webrtcgateway.ini", "Limits", "max_send_queue_bytes", "integer"),
        Setting("call_setup_timeout", "webrtcgateway.ini", "Limits", "call_setup_timeout", "integer"),
    ],
}

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


class ConfigDirectory:
    """The configuration directory; files are read once, missing files are empty."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        if not os.path.isdir(self.path):
            raise ConfigurationError(self.path, None, None, "configuration directory does not exist")
        self._files = {}

    def file_path(self, name):
        return os.path.join(self.path, name)

    def parser(self, name):
        if name not in self._files:
            parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
            parser.optionxform = str  # keys are case-sensitive, as written
            try:
                parser.read(self.file_path(name), encoding="utf-8")
            except configparser.Error as error:
                raise ConfigurationError(self.file_path(name), None, None, f"cannot be parsed: {error}") from None
            self._files[name] = parser
        return self._files[name]

    def get(self, name, section, key):
        parser = self.parser(name)
        if parser.has_section(section) and parser.has_option(section, key):
            return parser.get(section, key).strip()
        return None


def disabled_applications(config):
    """config.ini [Server] disabled_applications: every installed application runs unless listed."""
    value = config.get("config.ini", "Server", "disabled_applications")
    return {name.strip() for name in (value or "").split(",") if name.strip()}


def _convert(config, setting, text):
    where = (config.file_path(setting.file), setting.section, setting.key)
    if setting.kind == "string":
        return text
    if setting.kind == "path":
        return os.path.join(config.path, text) if text else None
    if setting.kind == "optional":
        return None if text.lower() in ("", "none") else text
    if setting.kind == "integer":
        try:
            return int(text, 10)
        except ValueError:
            raise ConfigurationError(*where, f"'{text}' is not a whole number") from None
    if setting.kind == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigurationError(*where, f"'{text}' is not a boolean (yes/no, true/false, on/off, 1/0)")
    if setting.kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    raise AssertionError(setting.kind)


def application_settings(config, name, log):
    """The settings dict for application `name`; unset keys are left to the module's defaults."""
    settings = {}
    known = APPLICATION_SETTINGS.get(name, [])
    for setting in known:
        text = config.get(setting.file, setting.section, setting.key)
        if text is None:
            continue
        value = _convert(config, setting, text)
        if value is not None:
            settings[setting.module_key] = value
    own_file = f"{name}.ini"
    parser = config.parser(own_file)
    expected = {(s.section, s.key) for s in known if s.file == own_file}
    for section in parser.sections():
        for key in parser.options(section):
            if (section, key) not in expected:
                log.warning("%s [%s] %s: unknown setting, ignored", config.file_path(own_file), section, key)
    return settings


def locate(name, module_key, config):
    """Maps a setting a module refused back to the file, section and key it came from."""
    for setting in APPLICATION_SETTINGS.get(name, []):
        if setting.module_key == module_key:
            return config.file_path(setting.file), setting.section, setting.key
    return config.path, None, module_key or None

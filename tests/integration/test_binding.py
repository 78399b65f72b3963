"""The pybind11 binding used in-process: the same application, driven from Python."""

import logging
import os
import pathlib

import pytest

import sylk_native
from conftest import Client, add_account_request, free_port, run

MODULE = pathlib.Path(os.environ.get("SYLK_APPLICATIONS_DIR", pathlib.Path(__file__).parents[2] / "build" / "module"))


NO_SIP = {"sip_udp_port": 0, "sip_tcp_port": 0, "sip_tls_port": 0}  # these tests need no SIP side


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def plugin():
    return sylk_native.Plugin(str(MODULE / "libsylk-webrtcgateway.so"))


def test_plugin_identity(plugin):
    assert plugin.name == "webrtcgateway"
    assert plugin.version.count(".") == 2
    assert sylk_native.ABI_VERSION == 1


def test_stats_follow_connections_and_accounts_and_logs_reach_python_logging(plugin):
    logger = logging.getLogger("test.binding")
    logger.setLevel(logging.DEBUG)
    collected = Collect()
    logger.addHandler(collected)
    port = free_port()
    app = plugin.create({"web_listen_port": port, "web_listen_address": "127.0.0.1", **NO_SIP}, logger)
    app.start()
    try:
        assert app.stats() == {"connections": 0, "accounts": 0, "sessions": 0, "requests": 0}

        async def conversation():
            client = await Client.connect(f"ws://127.0.0.1:{port}/webrtcgateway/ws")
            await client.request(add_account_request("a@example.com"))
            await client.request(add_account_request("b@example.com"))
            during = app.stats()
            await client.close()
            return during

        during = run(conversation())
        assert during["connections"] == 1 and during["accounts"] == 2 and during["requests"] == 2
    finally:
        app.stop()
    assert app.stats()["connections"] == 0 and app.stats()["accounts"] == 0
    app.close()
    messages = [record.getMessage() for record in collected.records]
    assert any("listening for ws on 127.0.0.1" in m for m in messages)
    assert any(record.levelno == logging.INFO for record in collected.records)
    logger.removeHandler(collected)


def test_bad_configuration_raises_with_the_setting(plugin):
    with pytest.raises(sylk_native.Error) as raised:
        plugin.create({"websocket_ping_interval": "soon"}, logging.getLogger("x"))
    code, setting, message = raised.value.args
    assert code == sylk_native.ERR_CONFIGURATION and setting == "websocket_ping_interval"
    assert "whole number" in message


def test_lifecycle_misuse_raises_state_errors(plugin):
    app = plugin.create({"web_listen_port": free_port(), **NO_SIP}, logging.getLogger("x"))
    with pytest.raises(sylk_native.Error) as raised:
        app.stop()
    assert raised.value.args[0] == sylk_native.ERR_STATE
    app.start()
    app.close()  # stops, then frees
    with pytest.raises(sylk_native.Error):
        app.start()


def test_a_file_that_is_not_a_module_is_refused(tmp_path):
    bogus = tmp_path / "libbogus.so"
    bogus.write_text("not an ELF file")
    with pytest.raises(sylk_native.Error) as raised:
        sylk_native.Plugin(str(bogus))
    assert "cannot load" in raised.value.args[2]

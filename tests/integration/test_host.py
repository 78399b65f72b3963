"""The reference host: configuration files, enabling applications, signals, exit codes."""

import asyncio
import os
import pathlib
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
import websockets

from conftest import Client, HostProcess, free_port, run, write_config


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("files, where, reason", [
    ({"general": {"websocket_ping_interval": "often"}},
     "webrtcgateway.ini [General] websocket_ping_interval", "'often' is not a whole number"),
    ({"general": {"websocket_ping_interval": "-5"}},
     "webrtcgateway.ini [General] websocket_ping_interval", "must be from 0 to 86400, got -5"),
    ({"general": {"trace_client": "maybe"}},
     "webrtcgateway.ini [General] trace_client", "'maybe' is not a boolean"),
    ({"general": {"sip_domains": "good.example, bad domain!"}},
     "webrtcgateway.ini [General] sip_domains", "'bad domain!' is not a domain"),
    ({"general": {"outbound_sip_proxy": "proxy.example.com;transport=carrier-pigeon"}},
     "webrtcgateway.ini [General] outbound_sip_proxy", "transport"),
    ({"general": {"websocket_max_message_size": "12"}},
     "webrtcgateway.ini [General] websocket_max_message_size", "must be from 1024"),
    ({"webserver": {"local_port": "70000"}},
     "config.ini [WebServer] local_port", "must be from 1 to 65535, got 70000"),
])
def test_a_bad_value_names_file_section_key_and_reason_and_starts_nothing(tmp_path, files, where, reason):
    port = free_port()
    directory = write_config(tmp_path / "config", port, **files)
    host = HostProcess(directory, port).start(wait_ready=False)
    code = host.wait_exit()
    log = host.log()
    assert code == 2, log
    assert f"configuration error: {directory}/{where}: " in log, log
    assert reason in log, log
    assert "running:" not in log and "listening for" not in log
    assert not listening(port)


def test_an_unreadable_certificate_is_reported_with_its_key(tmp_path):
    port = free_port()
    directory = write_config(tmp_path / "config", port, webserver={"certificate": "missing.pem"})
    host = HostProcess(directory, port).start(wait_ready=False)
    assert host.wait_exit() == 2
    log = host.log()
    assert "cannot load TLS certificate" in log and "config.ini [WebServer] certificate" in log, log
    assert not listening(port)


def test_a_port_in_use_fails_the_start_clearly(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        host = HostProcess(write_config(tmp_path / "config", port), port).start(wait_ready=False)
        assert host.wait_exit() != 0
        assert "Address already in use" in host.log()


def test_a_missing_configuration_directory_is_an_error(tmp_path):
    host = HostProcess(tmp_path, free_port())
    host.config_dir = tmp_path / "absent"
    host.log_path = tmp_path / "host.log"
    assert host.start(wait_ready=False).wait_exit() == 2
    assert "configuration directory does not exist" in host.log()


def test_unknown_settings_are_warned_about(start_gateway):
    gateway = start_gateway(general={"web_origin": "*"})  # a typo of web_origins
    assert "[General] web_origin: unknown setting, ignored" in gateway.log()


def test_a_disabled_application_does_not_run(start_gateway):
    gateway = start_gateway(server={"disabled_applications": "someother, webrtcgateway"})
    assert "application webrtcgateway is disabled" in gateway.log()
    assert "running: no applications enabled" in gateway.log()
    assert not listening(gateway.port)


def test_every_installed_application_runs_unless_disabled(start_gateway):
    gateway = start_gateway(server={"disabled_applications": "conference"})
    assert "running: webrtcgateway" in gateway.log()
    assert listening(gateway.port)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_cleanly_and_closes_clients(tmp_path, signal_number):
    port = free_port()
    host = HostProcess(write_config(tmp_path / "config", port), port).start()

    async def conversation():
        client = await Client.connect(host.url)
        stopping = asyncio.get_running_loop().run_in_executor(None, host.stop, signal_number)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.receive()
        assert closed.value.code == 1001  # going away
        assert await stopping == 0

    run(conversation())
    assert "stopped" in host.log()
    assert not listening(port)


# The start_gateway fixture's own guarantee, checked by running a small test file with it
# in a separate pytest: a host that exits while the test runs must fail that test.
DYING_HOST_TESTS = textwrap.dedent("""
    import os
    import signal

    from conftest import start_gateway  # noqa: F401  (the fixture under test)


    def test_killed(start_gateway):
        gateway = start_gateway()
        os.kill(gateway.process.pid, signal.SIGKILL)
        gateway.process.wait()


    def test_exits_cleanly_on_its_own(start_gateway):
        gateway = start_gateway()
        os.kill(gateway.process.pid, signal.SIGTERM)  # exit code 0, but nobody asked the test's host to stop
        gateway.process.wait()


    def test_stopped_after_it_died(start_gateway):
        gateway = start_gateway()
        os.kill(gateway.process.pid, signal.SIGKILL)
        gateway.process.wait()
        gateway.stop()


    def test_stopped_by_the_test(start_gateway):
        assert start_gateway().stop() == 0


    def test_left_running(start_gateway):
        start_gateway()
""")


def test_a_host_that_exits_during_a_test_fails_that_test(tmp_path):
    (tmp_path / "test_dying_host.py").write_text(DYING_HOST_TESTS)
    here = str(pathlib.Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                             str(tmp_path / "test_dying_host.py")], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    report = result.stdout
    # -rA's summary: one line per outcome; a teardown error comes after the call's PASSED.
    outcomes = {(line.split()[0], line.split("::")[1].split()[0]) for line in report.splitlines()
                if line.startswith(("PASSED ", "FAILED ", "ERROR ")) and "::" in line}
    assert {(outcome, name) for outcome, name in outcomes if outcome != "PASSED"} == {
        ("ERROR", "test_killed"), ("ERROR", "test_exits_cleanly_on_its_own"),
        ("FAILED", "test_stopped_after_it_died")}, report
    assert {("PASSED", "test_stopped_by_the_test"), ("PASSED", "test_left_running")} <= outcomes, report
    assert "exit code -9" in report and "exit code 0" in report, report
    assert "host exited on its own during the test" in report, report
    assert "before it was asked to stop" in report, report
    assert "sylk.host: running:" in report  # the failures show the host's log

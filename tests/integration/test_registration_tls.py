"""Verification of the registrar's TLS certificate ([TLS] verify_server, ca_list) against a
real Kamailio behind its socat TLS front, with certificates from a CA each test makes."""

import pathlib
import subprocess

import pytest
from dnslib.server import DNSServer
from dnslib.zoneresolver import ZoneResolver

from conftest import Client, HostProcess, add_account_request, free_port, free_sip_port, run, write_config
from kamailio import Kamailio
from test_registration import ha1, registration_events, registration_fails_with_a_network_error

SYSTEM_STORE = "OpenSSL default paths: /usr/lib/ssl/cert.pem, /usr/lib/ssl/certs"


def openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


class MadeCa:
    """A CA made for one test, and certificates it signs."""

    def __init__(self, directory, name="Test CA"):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        slug = name.replace(" ", "-")
        self.key, self.certificate = self.directory / f"{slug}.key", self.directory / f"{slug}.pem"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", str(self.key), "-out", str(self.certificate))

    def issue(self, name, alt_names):
        """A PEM with the certificate for `alt_names` ("DNS:x,IP:y") and its key, as socat takes it."""
        base = self.directory / name
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}",
                "-addext", f"subjectAltName={alt_names}", "-keyout", f"{base}.key", "-out", f"{base}.csr")
        openssl("x509", "-req", "-in", f"{base}.csr", "-CA", str(self.certificate), "-CAkey", str(self.key),
                "-CAcreateserial", "-days", "2", "-copy_extensions", "copy", "-out", f"{base}.crt")
        combined = self.directory / f"{name}.pem"
        combined.write_text(pathlib.Path(f"{base}.crt").read_text() + pathlib.Path(f"{base}.key").read_text())
        return combined


def self_signed(directory, name, alt_names):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_names}", "-keyout", str(key), "-out", str(cert))
    combined = directory / f"{name}.pem"
    combined.write_text(cert.read_text() + key.read_text())
    return combined


@pytest.fixture
def test_ca(tmp_path):
    return MadeCa(tmp_path / "pki")


@pytest.fixture
def system_store(monkeypatch):
    """The host sees OpenSSL's own default paths (Debian's /etc/ssl/certs), whatever the caller's environment."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def registrar_serving(tmp_path):
    """registrar_serving(pem) -> a started Kamailio whose TLS front presents `pem`."""
    started = []

    def start(pem):
        kamailio = Kamailio(tmp_path / f"kamailio{len(started)}", {"alice@example.com": ha1("alice")},
                            certificate=pem).start()
        started.append(kamailio)
        return kamailio

    yield start
    for kamailio in started:
        kamailio.stop()


@pytest.fixture
def dns_server():
    """dns_server(zone) -> "127.0.0.1:port" of a DNS server on loopback answering from `zone`."""
    servers = []

    def start(zone):
        port = free_sip_port()
        server = DNSServer(ZoneResolver(zone), address="127.0.0.1", port=port, tcp=False)
        server.start_thread()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield start
    for server in servers:
        server.stop()


def registers(gateway, registrar):
    async def conversation():
        client = await Client.connect(gateway.url)
        await client.request(add_account_request("alice@example.com", ha1("alice")))
        await client.request({"sylkrtc": "register", "account": "alice@example.com"})
        states = await registration_events(client, "alice@example.com", {"registered", "failed"})
        assert states == [{"state": "registering"}, {"state": "registered"}], (states, gateway.log())
        assert len(registrar.contacts("alice@example.com")) == 1
        await client.close()

    run(conversation())


def is_refused(gateway, registrar, reason):
    run(registration_fails_with_a_network_error(gateway))
    assert registrar.contacts("alice@example.com") == []
    log = gateway.log()
    assert "WARNING sylk.webrtcgateway: TLS: refused the certificate of 127.0.0.1:" in log, log
    assert reason in log, log


def tls_proxy(registrar, host="127.0.0.1"):
    return {"outbound_sip_proxy": f"{host}:{registrar.tls_port};transport=tls"}


def test_a_certificate_from_the_ca_in_ca_list_with_the_right_name_registers(start_gateway, registrar_serving, test_ca):
    registrar = registrar_serving(test_ca.issue("registrar", "IP:127.0.0.1"))
    gateway = start_gateway(general=tls_proxy(registrar), tls={"ca_list": str(test_ca.certificate)})

    registers(gateway, registrar)
    assert (f"TLS: registrars' certificates must chain to the CAs in {test_ca.certificate} only and be valid for the "
            "outbound proxy's name, 127.0.0.1") in gateway.log()


def test_the_proxys_host_name_is_what_is_checked(start_gateway, registrar_serving, test_ca, dns_server):
    registrar = registrar_serving(test_ca.issue("registrar", "DNS:registrar.test"))
    dns = dns_server("registrar.test. 60 IN A 127.0.0.1\n")
    gateway = start_gateway(general=tls_proxy(registrar, "registrar.test"), sip={"nameservers": dns},
                            tls={"ca_list": str(test_ca.certificate)})

    registers(gateway, registrar)


@pytest.mark.parametrize("proxy_host, names, reason", [
    ("127.0.0.1", "DNS:registrar.test,IP:127.0.0.2", "not valid for '127.0.0.1' (IP address mismatch)"),
    ("registrar.test", "DNS:other.test,IP:127.0.0.1", "not valid for 'registrar.test' (hostname mismatch)"),
])
def test_a_good_chain_for_another_name_is_refused(start_gateway, registrar_serving, test_ca, dns_server,
                                                  proxy_host, names, reason):
    registrar = registrar_serving(test_ca.issue("elsewhere", names))
    dns = dns_server("registrar.test. 60 IN A 127.0.0.1\n")
    gateway = start_gateway(general=tls_proxy(registrar, proxy_host), sip={"nameservers": dns},
                            tls={"ca_list": str(test_ca.certificate)})

    is_refused(gateway, registrar, reason)


@pytest.mark.parametrize("kind", ["self-signed", "from an unknown CA"])
def test_by_default_a_certificate_no_trusted_ca_vouches_for_is_refused(start_gateway, registrar_serving, test_ca,
                                                                       system_store, tmp_path, kind):
    if kind == "self-signed":
        pem, reason = self_signed(tmp_path / "self", "registrar", "IP:127.0.0.1"), "self-signed certificate"
    else:
        pem, reason = test_ca.issue("registrar", "IP:127.0.0.1"), "unable to get local issuer certificate"
    registrar = registrar_serving(pem)
    gateway = start_gateway(general=tls_proxy(registrar))  # no ca_list, verify_server left at its default

    is_refused(gateway, registrar, reason)
    assert f"TLS: registrars' certificates must chain to the system's trusted CAs ({SYSTEM_STORE})" in gateway.log()


def test_with_verify_server_off_it_registers_and_a_warning_is_logged_at_start(start_gateway, registrar_serving, tmp_path):
    registrar = registrar_serving(self_signed(tmp_path / "self", "nobody", "DNS:nobody.test"))
    gateway = start_gateway(general=tls_proxy(registrar), tls={"verify_server": "no"})

    log = gateway.log()  # the host has started: the warning is already there
    assert ("WARNING sylk.webrtcgateway: TLS: registrars' certificates are NOT verified ([TLS] verify_server is off)"
            in log), log
    registers(gateway, registrar)
    assert "refused the certificate" not in gateway.log()


def test_without_ca_list_trust_comes_from_the_default_paths_and_ca_list_replaces_them(
        start_gateway, registrar_serving, test_ca, tmp_path, monkeypatch):
    # Installing the test CA into /etc/ssl/certs would need root; OpenSSL's default paths can
    # also be pointed elsewhere ($SSL_CERT_FILE, $SSL_CERT_DIR). If the gateway trusts the
    # test CA once they point at it, without ca_list, its trust comes from those paths,
    # which are Debian's ca-certificates when nothing overrides them.
    registrar = registrar_serving(test_ca.issue("registrar", "IP:127.0.0.1"))  # its TLS front sees no override
    empty = tmp_path / "no-certs"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(test_ca.certificate))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))
    gateway = start_gateway(general=tls_proxy(registrar))

    registers(gateway, registrar)
    assert (f"OpenSSL default paths: {test_ca.certificate} (from $SSL_CERT_FILE), {empty} (from $SSL_CERT_DIR)"
            in gateway.log())

    other_ca = MadeCa(tmp_path / "other", "Other CA")
    narrowed = start_gateway(general=tls_proxy(registrar), tls={"ca_list": str(other_ca.certificate)})
    is_refused(narrowed, registrar, "unable to get local issuer certificate")


@pytest.mark.parametrize("tls, expected", [
    ({"verify_server": "maybe"}, ["configuration error: {dir}/config.ini [TLS] verify_server: 'maybe' is not a boolean"]),
    ({"ca_list": "missing-ca.pem"}, ["cannot start webrtcgateway: cannot load '{dir}/missing-ca.pem': ",
                                     "({dir}/config.ini [TLS] ca_list)"]),
])
def test_a_bad_tls_setting_stops_the_host_naming_it(tmp_path, tls, expected):
    port = free_port()
    directory = write_config(tmp_path / "config", port, tls=tls)
    host = HostProcess(directory, port).start(wait_ready=False)
    assert host.wait_exit() == 2
    for text in expected:
        assert text.format(dir=directory) in host.log(), host.log()


def sips_zone(registrar, target="sip1.example.com"):
    """example.com -> NAPTR SIPS+D2T -> _sips._tcp SRV -> the TLS front on 127.0.0.1."""
    return f"""
example.com.            60 IN NAPTR 10 10 "S" "SIPS+D2T" "" _sips._tcp.example.com.
_sips._tcp.example.com. 60 IN SRV   0 0 {registrar.tls_port} {target}.
{target}.               60 IN A     127.0.0.1
"""


def test_over_a_looked_up_route_a_certificate_for_the_sip_domain_registers(start_gateway, registrar_serving, test_ca,
                                                                          dns_server):
    registrar = registrar_serving(test_ca.issue("example", "DNS:example.com"))
    gateway = start_gateway(sip={"nameservers": dns_server(sips_zone(registrar))},
                            tls={"ca_list": str(test_ca.certificate)})

    registers(gateway, registrar)


def test_over_a_looked_up_route_a_certificate_for_the_srv_target_only_is_refused(start_gateway, registrar_serving,
                                                                                  test_ca, dns_server):
    registrar = registrar_serving(test_ca.issue("sip1", "DNS:sip1.example.com,IP:127.0.0.1"))
    gateway = start_gateway(sip={"nameservers": dns_server(sips_zone(registrar))},
                            tls={"ca_list": str(test_ca.certificate)})

    is_refused(gateway, registrar, "(/CN=sip1): ")
    log = gateway.log()
    assert "be valid for the SIP domain each request is routed for" in log
    # Without the send-handler hook no domain is known for the route; with it, the
    # certificate is checked against example.com (not against sip1.example.com).
    assert ("(/CN=sip1): no SIP domain was routed to this address" in log
            or "(/CN=sip1): not valid for 'example.com'" in log), log

"""A real Kamailio registrar on loopback for the tests: HA1 authentication, locations in
memory, UDP and TCP, and TLS through a socat TLS terminator in front of its TCP port
(Kamailio 5.6.3's own TLS does not work with Debian 12's OpenSSL 3). Its location table
is read with kamcmd (RPC ul.lookup)."""

import pathlib
import re
import socket
import subprocess
import time

from conftest import free_port, free_sip_port

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "kamailio.cfg.in"


class Kamailio:
    def __init__(self, directory, accounts, domain="example.com", min_expires=60, nonce_expire=300,
                 certificate=None, check_nonce_count=True):
        """accounts: {"alice@example.com": ha1}; certificate: a PEM with certificate and key, for TLS."""
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.domain = domain
        self.udp_port = free_sip_port()
        self.tcp_port = self.udp_port  # SIP's convention: one number for UDP and TCP
        self.tls_port = free_port()  # served by the socat TLS front, not by Kamailio
        self.ctl = self.directory / "kamailio.ctl"
        entries = "\n".join(f'    $sht(ha1=>{account}) = "{ha1}";' for account, ha1 in accounts.items())
        values = {"DOMAIN": domain, "UDP_PORT": self.udp_port, "TCP_PORT": self.tcp_port,
                  "CTL_SOCKET": self.ctl, "MIN_EXPIRES": min_expires, "NONCE_EXPIRE": nonce_expire,
                  "NONCE_COUNT": 1 if check_nonce_count else 0,
                  "HA1_ENTRIES": entries}
        self.certificate = certificate
        text = FIXTURE.read_text()
        for name, value in values.items():
            text = text.replace(f"@{name}@", str(value))
        self.config = self.directory / "kamailio.cfg"
        self.config.write_text(text)
        self.log_path = self.directory / "kamailio.log"
        self.process = None
        self.tls_front = None

    def start(self):
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["kamailio", "-f", str(self.config), "-DD", "-E", "-m", "64", "-M", "8",
             "-P", str(self.directory / "kamailio.pid"), "-Y", str(self.directory), "-w", str(self.directory)],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"kamailio exited:\n{self.log_path.read_text()}")
            if self.ctl.exists() and self.rpc("core.version", check=False).returncode == 0:
                break
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.1)
        if self.certificate:
            self.tls_front = subprocess.Popen(
                ["socat", f"OPENSSL-LISTEN:{self.tls_port},bind=127.0.0.1,reuseaddr,fork,cert={self.certificate},verify=0",
                 f"TCP:127.0.0.1:{self.tcp_port}"], stdout=self._log, stderr=subprocess.STDOUT)
        while self.certificate:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.tls_port)) == 0:
                    break
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.1)
        return self

    def stop(self):
        if self.tls_front:
            self.tls_front.terminate()
            self.tls_front.wait()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def rpc(self, *command, check=True):
        return subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", *command], capture_output=True, text=True,
                              check=check)

    def contacts(self, aor):
        """The contact URIs registered for aor ("alice@example.com")."""
        result = self.rpc("ul.lookup", "location", aor, check=False)
        if result.returncode != 0:
            return []  # "AOR not found"
        return re.findall(r"Address:\s*(\S+)", result.stdout)

    def contact_details(self, aor):
        result = self.rpc("ul.lookup", "location", aor, check=False)
        return result.stdout if result.returncode == 0 else ""

    def proxy(self, transport="udp"):
        port = {"udp": self.udp_port, "tcp": self.tcp_port, "tls": self.tls_port}[transport]
        return f"127.0.0.1:{port};transport={transport}"

"""A real Kamailio registrar on loopback for the tests: HA1 authentication, locations in
memory, UDP and TCP, and TLS through a socat TLS terminator in front of its TCP port
(Kamailio 5.6.3's own TLS does not work with Debian 12's OpenSSL 3). Its location table
is read with kamcmd (RPCs ul.lookup and stats.get_statistics); any RPC failure raises
RegistrarError, so that "no contact left" can never pass because Kamailio is broken."""

import os
import pathlib
import re
import signal
import socket
import subprocess
import time

from conftest import free_port, free_sip_port, stop_process

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "kamailio.cfg.in"


REQUEST_LINE = re.compile(r"sylk-test request: (\S+) (\S+) call-id=(\S+) cseq=(\d+) credentials=(\d+) "
                          r"proxy-credentials=(\d+) from-tag=(\S*)")


class RegistrarError(AssertionError):
    """kamcmd could not get an answer from Kamailio, or Kamailio answered with an error."""


def htable_size_for(entries):
    """htable's size is a power of two of buckets: about one entry per bucket, at least 2^10."""
    return max(10, min(16, (max(entries, 1) - 1).bit_length()))


def _live_members(group):
    """Processes of session group `group` that are not zombies."""
    members = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members


class Kamailio:
    def __init__(self, directory, accounts, domain="example.com", min_expires=60, nonce_expire=300,
                 certificate=None, check_nonce_count=True, shared_memory_mb=64, htable_size=None,
                 log_requests=True, nonce_bound_to_call_id=False, address="127.0.0.1"):
        """accounts: {"alice@example.com": ha1}; certificate: a PEM with certificate and key, for TLS.
        shared_memory_mb: Kamailio's -m (the location table, transactions and the HA1 table live
        there; 256 holds 10,000 accounts and contacts with room to spare). htable_size: the HA1
        table has 2^htable_size buckets (by default about one per account). log_requests: one
        log line per request received, for requests(); a benchmark may turn it off. address: the
        one IPv4 address it listens on (the NAT test's "public" address instead of loopback)."""
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.domain = domain
        self.address = address
        self.udp_port = free_sip_port()
        self.tcp_port = self.udp_port  # SIP's convention: one number for UDP and TCP
        self.tls_port = free_port()  # served by the socat TLS front, not by Kamailio
        self.ctl = self.directory / "kamailio.ctl"
        # The HA1 table is loaded from a db_text table: thousands of $sht() assignments in the
        # configuration would exhaust the parser's private memory (it fails at about 2,200).
        database = self.directory / "db"
        database.mkdir(exist_ok=True)
        (database / "ha1").write_text(
            "id(int,auto) key_name(str) key_type(int) value_type(int) key_value(str) expires(int)\n"
            + "".join(f"{row}:{account}:0:0:{ha1}:0\n" for row, (account, ha1) in enumerate(accounts.items(), 1)))
        values = {"DOMAIN": domain, "ADDRESS": address, "UDP_PORT": self.udp_port, "TCP_PORT": self.tcp_port,
                  "CTL_SOCKET": self.ctl, "MIN_EXPIRES": min_expires, "NONCE_EXPIRE": nonce_expire,
                  "NONCE_COUNT": 1 if check_nonce_count else 0,
                  "AUTH_CHECKS_NO_DLG": 2 if nonce_bound_to_call_id else 0,
                  "DB_DIR": database,
                  "LOG_REQUESTS": "#!define LOG_REQUESTS" if log_requests else "",
                  "HTABLE_SIZE": htable_size if htable_size is not None else htable_size_for(len(accounts))}
        self.shared_memory_mb = shared_memory_mb
        self.log_requests = log_requests
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
            ["kamailio", "-f", str(self.config), "-DD", "-E", "-m", str(self.shared_memory_mb), "-M", "8",
             "-P", str(self.directory / "kamailio.pid"), "-Y", str(self.directory), "-w", str(self.directory)],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)  # its workers: one group to stop
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
                ["socat", f"OPENSSL-LISTEN:{self.tls_port},bind={self.address},reuseaddr,fork,cert={self.certificate},"
                 "verify=0", f"TCP:{self.address}:{self.tcp_port}"], stdout=self._log, stderr=subprocess.STDOUT)
        while self.certificate:
            with socket.socket() as probe:
                if probe.connect_ex((self.address, self.tls_port)) == 0:
                    break
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.1)
        return self

    def stop(self):
        if self.tls_front:
            self.tls_front.terminate()
            self.tls_front.wait()
        stop_process(self.process)
        self._stop_workers()
        self._log.close()

    def _stop_workers(self):
        """Kamailio's forked workers outlive a main process that died or was killed: what is
        left of its session group gets SIGTERM, then SIGKILL after 5 s."""
        if self.process is None:
            return
        group = self.process.pid
        for signal_number in (signal.SIGTERM, signal.SIGKILL):
            if not _live_members(group):
                return
            try:
                os.killpg(group, signal_number)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 5
            while _live_members(group) and time.monotonic() < deadline:
                time.sleep(0.05)


    def rpc(self, *command, check=True):
        """Runs one kamcmd command. check=True: raises RegistrarError unless Kamailio answered
        without error (kamcmd exits 0 even when the RPC itself answers "error: ...")."""
        try:
            result = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", *command], capture_output=True, text=True,
                                    timeout=30)
        except subprocess.TimeoutExpired as error:
            raise RegistrarError(f"kamcmd {' '.join(command)}: no answer within 30 s{self._state()}") from error
        if check and (result.returncode != 0 or result.stdout.startswith("error:")):
            raise RegistrarError(f"kamcmd {' '.join(command)} failed ({result.returncode}): "
                                 f"{result.stdout.strip()} {result.stderr.strip()}{self._state()}")
        return result

    def add_contact(self, aor, contact, expires=3600):
        """Puts one more contact for `aor` in the location table (ul.add), as a REGISTER of
        that contact would: two contacts of one user make Kamailio fork its INVITEs."""
        # table, AOR, contact, expires, q, path (empty), flags, cflags, methods (every bit: all)
        self.rpc("ul.add", "location", aor, contact, str(expires), "1.0", "s:", "0", "0", "4294967295")
        if contact not in self.contact_details(aor):
            raise RegistrarError(f"ul.add did not add {contact} to {aor}: {self.contact_details(aor)}")

    def _state(self):
        if self.process is not None and self.process.poll() is not None:
            return f"\nkamailio exited with {self.process.returncode}:\n{self.log_path.read_text()[-4000:]}"
        return ""

    def _lookup(self, aor):
        """ul.lookup's answer for aor, or None when Kamailio holds no contact for it."""
        result = self.rpc("ul.lookup", "location", aor, check=False)
        # A missing AOR is an RPC error answer with kamcmd exiting 0; a dead Kamailio or socket
        # makes kamcmd itself fail (exit 255, "connect_unix_sock: ..." on stderr).
        if result.returncode == 0 and result.stdout.startswith("error: 500 - AOR not found"):
            return None
        if result.returncode != 0 or result.stdout.startswith("error:"):
            raise RegistrarError(f"kamcmd ul.lookup location {aor} failed ({result.returncode}): "
                                 f"{result.stdout.strip()} {result.stderr.strip()}{self._state()}")
        return result.stdout

    def contacts(self, aor):
        """The contact URIs registered for aor ("alice@example.com"); [] when it has none.
        Raises RegistrarError when Kamailio cannot be asked."""
        details = self._lookup(aor)
        return [] if details is None else re.findall(r"Address:\s*(\S+)", details)

    def contact_details(self, aor):
        return self._lookup(aor) or ""

    def contact_fields(self, aor):
        """One {"Address": ..., "CSeq": ..., "Call-ID": ..., "Expires": ...} per contact of aor."""
        details = self._lookup(aor)
        if details is None:
            return []
        return [dict(re.findall(r"^\s*([\w-]+): (.*)$", block, re.M))
                for block in re.findall(r"Contact: \{(.*?)\}", details, re.S)]

    def requests(self, aor=None):
        """Every request that reached Kamailio (for aor, "alice@example.com", when given), in
        order: {"method", "aor", "call_id", "cseq", "credentials", "from_tag"} (credentials: it
        carried an Authorization or a Proxy-Authorization header)."""
        assert self.log_requests, "requests() needs Kamailio(log_requests=True)"
        found = []
        for match in REQUEST_LINE.finditer(self.log_path.read_text(errors="replace")):
            method, to, call_id, cseq, credentials, proxy_credentials, from_tag = match.groups()
            if aor is None or to == aor:
                found.append({"method": method, "aor": to, "call_id": call_id, "cseq": int(cseq),
                              "credentials": credentials != "0" or proxy_credentials != "0", "from_tag": from_tag})
        return found

    def from_headers(self, method="REGISTER"):
        """The From header of every `method` request that reached Kamailio, as it arrived."""
        assert self.log_requests, "from_headers() needs Kamailio(log_requests=True)"
        text = self.log_path.read_text(errors="replace")
        return re.findall(rf"sylk-test from: {method} (.*)", text)

    def contact_count(self):
        """Every contact in the location table, all AORs together (usrloc's own counter: one
        RPC, exact, whatever the number of contacts; ul.dump's answer would not fit kamcmd's
        reply buffer at 10,000). An expired contact counts until usrloc's timer removes it.
        Raises RegistrarError on any RPC failure."""
        output = self.rpc("stats.get_statistics", "location_contacts").stdout
        match = re.fullmatch(r"usrloc:location_contacts = (\d+)\s*", output)
        if not match:
            raise RegistrarError(f"unexpected answer to stats.get_statistics: {output!r}")
        return int(match.group(1))

    def proxy(self, transport="udp"):
        port = {"udp": self.udp_port, "tcp": self.tcp_port, "tls": self.tls_port}[transport]
        return f"{self.address}:{port};transport={transport}"

#!/usr/bin/env python3
"""Captures the answers a real Kamailio registrar sends to REGISTER (401, 407, 423,
200 with one and two contacts, 200 to an unregister, 401 with stale=true) and writes
them as seeds: the whole UDP datagrams to fuzz/corpus/register_answer/, the
WWW-/Proxy-Authenticate values to fuzz/corpus/digest_challenge/.

Run it again to refresh the seeds (needs the kamailio package; about 5 seconds).
Our REGISTERs carry the Contact the register_answer target looks for:
sip:gw-00000000000000aa@127.0.0.1:5080.
"""

import hashlib
import pathlib
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time

FUZZ = pathlib.Path(__file__).resolve().parents[1]
OURS = "sip:gw-00000000000000aa@127.0.0.1:5080"
OTHER = "sip:gw-00000000000000bb@127.0.0.1:5080"
DOMAIN = "example.com"
HA1 = {"alice": hashlib.md5(b"alice:example.com:secret").hexdigest()}

CONFIG = """#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
alias="{domain}"
listen=udp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "auth.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "default_expires", 600)
modparam("registrar", "min_expires", 60)
modparam("registrar", "max_expires", 3600)
modparam("registrar", "min_expires_mode", 1)
modparam("auth", "nonce_expire", 2)
modparam("auth", "qop", "auth")

request_route {{
    if ($tU == "carol") {{
        # A registrar behind an authenticating proxy: 407 with Proxy-Authenticate.
        proxy_challenge("$td", "1");
        exit;
    }}
    if (!pv_auth_check("$td", "{ha1}", "1", "1")) {{
        if ($rc == -4) {{
            auth_challenge("$td", "17");  # nonce expired: stale=true
        }} else {{
            auth_challenge("$td", "1");
        }}
        exit;
    }}
    consume_credentials();
    if (!save("location")) {{
        sl_reply_error();
    }}
    exit;
}}
"""


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.server = ("127.0.0.1", port)
        self.cseq = 0
        self.call_id = {}

    def register(self, user, contact, expires, challenge=None, nonce_count=1, ha1=None):
        self.cseq += 1
        call_id = self.call_id.setdefault(contact, secrets.token_hex(8))
        local = self.sock.getsockname()
        lines = [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {local[0]}:{local[1]};rport;branch=z9hG4bK{secrets.token_hex(6)}",
            "Max-Forwards: 70",
            f"To: <sip:{user}@{DOMAIN}>",
            f"From: <sip:{user}@{DOMAIN}>;tag={secrets.token_hex(4)}",
            f"Call-ID: {call_id}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: <{contact}>;expires={expires}",
            f"Expires: {expires}",
        ]
        if challenge:
            lines.append("Authorization: " + credentials(user, challenge, nonce_count, ha1 or HA1[user]))
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), self.server)
        while True:
            data, _ = self.sock.recvfrom(65535)
            # Final answers to this request only (a failed save() may be followed by a 500).
            if not data.startswith(b"SIP/2.0 1") and header(data, "CSeq") == f"{self.cseq} REGISTER":
                return data


def header(answer, name):
    match = re.search(rb"^" + name.encode() + rb":\s*(.*?)\r\n", answer, re.M | re.I)
    return match.group(1).decode() if match else None


def params(value):
    return dict(re.findall(r'(\w+)="?([^",]*)"?', value))


def credentials(user, challenge, nonce_count, ha1):
    p = params(challenge)
    uri = f"sip:{DOMAIN}"
    ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
    nc, cnonce = f"{nonce_count:08x}", secrets.token_hex(4)
    response = hashlib.md5(f"{ha1}:{p['nonce']}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
            f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"')


def main():
    answers, challenges = {}, {}
    with tempfile.TemporaryDirectory() as work:
        port = free_udp_port()
        config = pathlib.Path(work) / "kamailio.cfg"
        config.write_text(CONFIG.format(domain=DOMAIN, port=port, ha1=HA1["alice"]))
        kamailio = subprocess.Popen(["kamailio", "-f", str(config), "-DD", "-E", "-m", "32", "-M", "8",
                                     "-P", f"{work}/pid", "-Y", work, "-w", work],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)
            client = Client(port)
            answers["401-unauthorized"] = first = client.register("alice", OURS, 600)
            challenges["kamailio-www-authenticate"] = www = header(first, "WWW-Authenticate")
            answers["423-interval-too-brief"] = client.register("alice", OURS, 10, www)
            answers["200-ok-one-contact"] = client.register("alice", OURS, 600, www, 2)
            answers["200-ok-two-contacts"] = client.register("alice", OTHER, 300, www, 3)
            answers["200-ok-refresh-shortened"] = client.register("alice", OURS, 7200, www, 4)
            answers["200-ok-unregister-one-left"] = client.register("alice", OURS, 0, www, 5)
            answers["401-wrong-password"] = client.register("alice", OURS, 600, www, 6, "0" * 32)
            answers["407-proxy-authentication-required"] = proxy = client.register("carol", OURS, 600)
            challenges["kamailio-proxy-authenticate"] = header(proxy, "Proxy-Authenticate")
            time.sleep(3)  # past nonce_expire: the old nonce is stale now
            answers["401-stale-nonce"] = stale = client.register("alice", OURS, 600, www, 7)
            challenges["kamailio-www-authenticate-stale"] = header(stale, "WWW-Authenticate")
            fresh = header(stale, "WWW-Authenticate")
            answers["200-ok-unregister-none-left"] = client.register("alice", OTHER, 0, fresh, 1)
        finally:
            kamailio.terminate()
            kamailio.wait(10)
    for name, data in answers.items():
        (FUZZ / "corpus" / "register_answer" / f"kamailio-{name}.sip").write_bytes(data)
    for name, value in challenges.items():
        if not value:
            sys.exit(f"no challenge for {name}")
        (FUZZ / "corpus" / "digest_challenge" / f"{name}.txt").write_text(value)
    print(f"{len(answers)} answers, {len(challenges)} challenges")


if __name__ == "__main__":
    main()

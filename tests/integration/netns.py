"""A home network behind a NAT, made of network namespaces, for tests of phones behind one
(root only: `ip` from iproute2, `iptables` from Debian's iptables package).

    root namespace                 router namespace                      phone namespace
    (gateway, Kamailio, browser)   (the NAT)
    10.200.N.1/30 ─── veth ─── 10.200.N.2/30 (public side)
                                   192.168.N.1/24 (inside) ─── veth ─── 192.168.N.2/24
                                                                        default via 192.168.N.1

The router masquerades what leaves its public side (UDP onto ports 61000-61999, above
Linux's ephemeral range, so that a mapped port never equals the phone's own port) and
forwards one UDP port of its public address to the phone (the phone's SIP port: how the
proxy reaches it). The root namespace routes the inside network to the router, where
anything addressed to an inside address from the public side is dropped: a stray packet
for the phone's private address stays on this machine, and is counted, instead of
leaving by the host's default route.

Everything it makes carries one random tag: two namespaces (sylk-nat-TAG-router,
sylk-nat-TAG-phone) and two veth pairs (snTAGh/snTAGr, snTAGi/snTAGp). destroy() removes
them, and with them every route and iptables rule made here (those live inside the
namespaces, or on the root namespace's end of the veth pair); nothing else of the host is
changed. Every `ip` or `iptables` command that fails raises with its stderr."""

import ipaddress
import re
import secrets
import subprocess

from conftest import peer_environment

NAT_PORTS = (61000, 61999)


class NetworkError(AssertionError):
    """An `ip` or `iptables` command failed."""


def run(*command, namespace=None):
    """Runs one command (in `namespace` when given); its stdout; raises NetworkError with its
    stderr when it fails."""
    full = (["ip", "netns", "exec", namespace] if namespace else []) + [str(part) for part in command]
    result = subprocess.run(full, capture_output=True, text=True, timeout=30, env=peer_environment())
    if result.returncode != 0:
        raise NetworkError(f"{' '.join(full)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _subnet_in_use(prefix):
    """Whether the root namespace has an address or route under `prefix` (an IPv4 network)."""
    network = ipaddress.ip_network(prefix)
    text = run("ip", "-4", "-o", "addr", "show") + run("ip", "-4", "route", "show", "table", "all")
    for match in re.finditer(r"(\d+\.\d+\.\d+\.\d+)(/\d+)?", text):
        try:
            other = ipaddress.ip_network(match.group(1) + (match.group(2) or "/32"), strict=False)
        except ValueError:
            continue
        if other.overlaps(network):
            return True
    return False


class NatNetwork:
    def __init__(self):
        self.tag = secrets.token_hex(3)
        self.router_ns, self.phone_ns = f"sylk-nat-{self.tag}-router", f"sylk-nat-{self.tag}-phone"
        self.host_link, self.router_public_link = f"sn{self.tag}h", f"sn{self.tag}r"
        self.router_inside_link, self.phone_link = f"sn{self.tag}i", f"sn{self.tag}p"
        self.created = []  # ("netns", name) / ("link", name), to remove in reverse order
        for _ in range(50):
            n = secrets.randbelow(254) + 1
            if not _subnet_in_use(f"10.200.{n}.0/30") and not _subnet_in_use(f"192.168.{n}.0/24"):
                break
        else:
            raise NetworkError("no free 10.200.N.0/30 and 192.168.N.0/24 pair in the root namespace")
        self.gateway_address = f"10.200.{n}.1"  # the root namespace's end: the "internet" side
        self.public_address = f"10.200.{n}.2"  # the NAT's public address
        self.router_inside_address = f"192.168.{n}.1"
        self.phone_address = f"192.168.{n}.2"  # private: what the phone's SDP shows
        self.inside_network = f"192.168.{n}.0/24"

    def create(self, forwarded_udp_port):
        """Makes the namespaces, links, routes and the NAT; UDP to the NAT's public address
        on `forwarded_udp_port` goes to the phone's same port."""
        for namespace in (self.router_ns, self.phone_ns):
            run("ip", "netns", "add", namespace)
            self.created.append(("netns", namespace))
            run("ip", "link", "set", "lo", "up", namespace=namespace)
        run("ip", "link", "add", self.host_link, "type", "veth", "peer", "name", self.router_public_link)
        self.created.append(("link", self.host_link))
        run("ip", "link", "set", self.router_public_link, "netns", self.router_ns)
        run("ip", "link", "add", self.router_inside_link, "netns", self.router_ns, "type", "veth", "peer", "name",
            self.phone_link, "netns", self.phone_ns)

        run("ip", "addr", "add", f"{self.gateway_address}/30", "dev", self.host_link)
        run("ip", "link", "set", self.host_link, "up")
        # Stray packets for the inside network go to the router (which drops them), not out
        # of the host's default route; the route goes away with the link.
        run("ip", "route", "add", self.inside_network, "via", self.public_address, "dev", self.host_link)

        router = self.router_ns
        run("ip", "addr", "add", f"{self.public_address}/30", "dev", self.router_public_link, namespace=router)
        run("ip", "addr", "add", f"{self.router_inside_address}/24", "dev", self.router_inside_link, namespace=router)
        run("ip", "link", "set", self.router_public_link, "up", namespace=router)
        run("ip", "link", "set", self.router_inside_link, "up", namespace=router)
        run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", namespace=router)

        run("ip", "addr", "add", f"{self.phone_address}/24", "dev", self.phone_link, namespace=self.phone_ns)
        run("ip", "link", "set", self.phone_link, "up", namespace=self.phone_ns)
        run("ip", "route", "add", "default", "via", self.router_inside_address, namespace=self.phone_ns)

        public = self.router_public_link
        self.iptables("-t", "nat", "-A", "PREROUTING", "-i", public, "-d", self.public_address, "-p", "udp",
                      "--dport", forwarded_udp_port, "-j", "DNAT", "--to-destination",
                      f"{self.phone_address}:{forwarded_udp_port}")
        self.iptables("-t", "nat", "-A", "POSTROUTING", "-o", public, "-p", "udp", "-j", "MASQUERADE",
                      "--to-ports", f"{NAT_PORTS[0]}-{NAT_PORTS[1]}")
        self.iptables("-t", "nat", "-A", "POSTROUTING", "-o", public, "-j", "MASQUERADE")
        # Nothing from the public side reaches an inside address but through the NAT.
        self.count("to inside network", "-i", public, "-d", self.inside_network, drop=True)
        return self

    def iptables(self, *arguments):
        return run("iptables", "-w", *arguments, namespace=self.router_ns)

    def count(self, name, *match, drop=False, chain="PREROUTING", table="raw"):
        """A rule in the router that counts the packets matching `match` (raw PREROUTING: as
        they arrive, before the NAT translates them back), and drops them when `drop`.
        Rules are inserted at the top: a more precise one added later counts first."""
        self.iptables("-t", table, "-I", chain, "1", *match, "-m", "comment", "--comment", name,
                      *(["-j", "DROP"] if drop else []))

    def counters(self, chain="PREROUTING", table="raw"):
        """{rule name: packets} of the rules added with count() in that chain."""
        listing = self.iptables("-t", table, "-L", chain, "-v", "-x", "-n")
        return {match.group(2): int(match.group(1))
                for match in re.finditer(r"^\s*(\d+)\s+\d+\s.*/\* (.+?) \*/", listing, re.M)}

    def in_phone(self, command):
        """`command` (a list) as run inside the phone's namespace."""
        return ["ip", "netns", "exec", self.phone_ns, *command]

    def destroy(self):
        """Removes what create() made, in reverse order; what is already gone is fine. Raises
        at the end if anything could not be removed."""
        problems = []
        for kind, name in reversed(self.created):
            try:
                if kind == "netns":
                    run("ip", "netns", "del", name)
                elif subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0:
                    run("ip", "link", "del", name)  # a veth pair goes as a whole
            except NetworkError as error:
                problems.append(str(error))
        self.created.clear()
        if problems:
            raise NetworkError("\n".join(problems))

"""What the benchmarks read of a process and of the machine, from /proc."""

import os
import pathlib


def rss_kib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid):
    """User plus system CPU time the process has used."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def udp_receive_drops():
    """Datagrams this machine dropped for a full socket receive buffer (all sockets)."""
    lines = [line.split() for line in pathlib.Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


def udp_socket_drops(pid):
    """Datagrams dropped so far for a full receive buffer, summed over the UDP sockets that
    process `pid` holds now (the per-socket counters of /proc/net/udp and udp6)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    total = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                total += int(fields[-1])
    return total


def cpu_busy_seconds(cpu):
    """Time CPU `cpu` has spent busy (user, nice, system, irq, softirq: /proc/stat), whoever
    for. Under --pin the relay is alone on its CPU, and this is its whole cost: the
    interrupt work of its loopback sends is counted here but not always in its own
    user and system time."""
    for line in pathlib.Path("/proc/stat").read_text().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            user, nice, system, _idle, _iowait, irq, softirq = (int(value) for value in fields[1:8])
            return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    raise RuntimeError(f"no cpu{cpu} line in /proc/stat")


def cpu_steal_seconds(cpu):
    """Time the hypervisor ran something else while CPU `cpu` wanted to run (/proc/stat's
    steal column)."""
    for line in pathlib.Path("/proc/stat").read_text().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{cpu}":
            return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    raise RuntimeError(f"no cpu{cpu} line in /proc/stat")


def thread_cpu_seconds(pid):
    """User plus system CPU time of each thread of process `pid`, by thread name (threads
    of one name summed), from /proc/PID/task."""
    by_name = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = pathlib.Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            fields = pathlib.Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        by_name[name] = by_name.get(name, 0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return by_name


def thread_ids(pid, name):
    """The ids of process `pid`'s threads called `name`."""
    ids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            if pathlib.Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip() == name:
                ids.append(int(tid))
        except FileNotFoundError:  # ended meanwhile
            continue
    return ids


def ksoftirqd_pid(cpu):
    """The kernel thread that runs CPU `cpu`'s deferred softirq work."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if pathlib.Path(f"/proc/{entry}/comm").read_text().strip() == f"ksoftirqd/{cpu}":
                    return int(entry)
            except FileNotFoundError:
                continue
    raise RuntimeError(f"no ksoftirqd/{cpu} thread")

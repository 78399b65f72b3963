"""sipp (Debian's sip-tester) as a scripted SIP peer for what a registrar will not do on demand."""

import datetime
import pathlib
import re
import subprocess

from conftest import free_sip_port

SCENARIOS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "sipp"


class Sipp:
    def __init__(self, scenario, directory):
        self.scenario = SCENARIOS / scenario
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_sip_port()
        self.log_path = self.directory / "sipp.log"

    def start(self):
        self._log = open(self.log_path, "w")
        # One "call" (one registration dialogue), then exit: 0 when every step of the script
        # happened as written (including the digest checks), 1 otherwise.
        self.process = subprocess.Popen(
            ["sipp", "-sf", str(self.scenario), "-i", "127.0.0.1", "-p", str(self.port), "-m", "1", "-nostdin",
             "-trace_err", "-trace_msg", "-timeout", "90s"],
            cwd=self.directory, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def wait(self, timeout=60):
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def proxy(self):
        return f"127.0.0.1:{self.port};transport=udp"

    def transcript(self):
        return "\n".join(p.read_text(errors="replace") for p in self.directory.glob("*_messages.log"))

    def errors(self):
        return "\n".join(p.read_text(errors="replace") for p in self.directory.glob("*_errors.log"))

    def received(self):
        """Every SIP message sipp received, in order, as (seconds, text): seconds from sipp's
        own trace clock (-trace_msg), text the whole message."""
        messages = []
        for path in sorted(self.directory.glob("*_messages.log")):
            entries = re.split(r"^-{10,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\n", path.read_text(errors="replace"),
                               flags=re.M)
            for stamp, body in zip(entries[1::2], entries[2::2]):
                heading, _, text = body.partition("\n")
                if " message received " in heading:
                    seconds = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
                    messages.append((seconds, text.strip("\n")))
        return messages

    def received_requests(self, method="REGISTER"):
        """The requests received, retransmissions left out (same Via branch): (seconds, text)."""
        seen, requests = set(), []
        for seconds, text in self.received():
            branch = re.search(r"^Via:.*;branch=([^;\s]+)", text, re.M | re.I)
            if text.startswith(method + " ") and (branch and branch.group(1)) not in seen:
                seen.add(branch and branch.group(1))
                requests.append((seconds, text))
        return requests

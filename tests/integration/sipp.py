"""sipp (Debian's sip-tester) as a scripted SIP peer for what a registrar will not do on demand."""

import pathlib
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

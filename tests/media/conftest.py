"""Fixtures for the media tests: the media harness process (the engine without SIP)."""

import json
import os
import queue
import subprocess
import threading

import pytest


class Harness:
    """media_harness driven over its stdin/stdout protocol (see media_harness.cpp)."""

    def __init__(self, settings):
        path = os.environ.get("SYLK_MEDIA_HARNESS")
        if not path:
            pytest.fail("SYLK_MEDIA_HARNESS is not set (run through ctest)")
        self.process = subprocess.Popen([path, json.dumps(settings)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.log = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump_log, daemon=True).start()

    @staticmethod
    def _pump(stream, into):
        for line in stream:
            into.put(line.rstrip("\n"))
        into.put(None)

    def _pump_log(self):
        for line in self.process.stderr:
            self.log.append(line.rstrip("\n"))

    def send_block(self, text):
        self.process.stdin.write(text.replace("\r\n", "\n").rstrip("\n") + "\nEND\n")
        self.process.stdin.flush()

    def next_line(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the harness said nothing for {timeout} s; its log:\n" + "\n".join(self.log))
        if line is None:
            raise AssertionError("the harness ended; its log:\n" + "\n".join(self.log))
        if line.startswith("ERROR "):
            raise AssertionError(line)
        return line

    def read_block(self, title, timeout=10):
        line = self.next_line(timeout)
        assert line == title, line
        body = []
        while (line := self.next_line(timeout)) != "END":
            body.append(line)
        return "\r\n".join(body) + "\r\n"

    def wait_event(self, prefix, timeout):
        line = self.next_line(timeout)
        assert line.startswith("EVENT "), line
        assert line.startswith(prefix), f"expected '{prefix}', got '{line}'"
        return line

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write("CLOSE\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                pass
        code = self.process.wait(timeout=20)
        return code


@pytest.fixture
def harness_factory():
    made = []

    def make(settings):
        harness = Harness(settings)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        if harness.process.poll() is None:
            harness.process.kill()
            harness.process.wait()

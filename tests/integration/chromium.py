"""Headless Chromium (Debian's chromium) driven over the DevTools protocol: a real browser
with fake camera and microphone, its loopback candidates allowed, nothing fetched from
outside (no background networking, no component updates, no mDNS candidates)."""

import asyncio
import base64
import json
import pathlib
import subprocess
import tempfile
import time
import urllib.request

import websockets

from conftest import peer_environment, stop_process

FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,OptimizationHints",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required", "--window-size=1280,900",
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
]


class Chromium:
    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        self.profile = pathlib.Path(tempfile.mkdtemp(prefix="chromium-", dir=self.directory))
        self.process = None
        self.ws = None
        self._next = 0
        self.console = []  # the page's console lines and uncaught exceptions
        self._log = None

    async def start(self, url):
        """Starts the browser on `url`; a browser that fails to come up is killed, never left behind."""
        try:
            return await self._start(url)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, url):
        self._log = open(self.directory / "chromium.log", "w")
        # Not ours to check: it does not start under the sanitizer build's preloaded ASan.
        self.process = subprocess.Popen(["chromium", *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=peer_environment())
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            assert self.process.poll() is None, f"chromium exited:\n{(self.directory / 'chromium.log').read_text()}"
            assert time.monotonic() < deadline, "chromium opened no DevTools port"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")
        self.ws = await websockets.connect(page["webSocketDebuggerUrl"], max_size=None)
        await self.send("Runtime.enable")
        await self.send("Page.enable")
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete' && !!window.demo")
        return self

    async def send(self, method, **params):
        self._next += 1
        ident = self._next
        await self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
            if message.get("method") == "Runtime.consoleAPICalled":
                self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in message["params"]["args"]))
            elif message.get("method") == "Runtime.exceptionThrown":
                self.console.append("exception: " + json.dumps(message["params"]["exceptionDetails"])[:2000])
            if message.get("id") == ident:
                assert "error" not in message, message
                return message["result"]

    async def evaluate(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def wait_for(self, expression, timeout=20):
        deadline = time.monotonic() + timeout
        while not await self.evaluate(expression):
            if time.monotonic() > deadline:
                log = await self.evaluate("document.getElementById('log') ? document.getElementById('log').textContent : ''")
                raise AssertionError(f"not true after {timeout} s: {expression}\npage log:\n{log}\n"
                                     f"console: {self.console[-20:]}")
            await asyncio.sleep(0.1)

    async def fill(self, element, value):
        await self.evaluate(f"document.getElementById({json.dumps(element)}).value = {json.dumps(value)}")

    async def click(self, element):
        await self.evaluate(f"document.getElementById({json.dumps(element)}).click()")

    async def text(self, element):
        return await self.evaluate(f"document.getElementById({json.dumps(element)}).textContent")

    async def screenshot(self, path):
        shot = await self.send("Page.captureScreenshot", format="png")
        pathlib.Path(path).write_bytes(base64.b64decode(shot["data"]))

    async def stop(self):
        if self.ws:
            await self.ws.close()
            self.ws = None
        stop_process(self.process)
        if self._log and not self._log.closed:
            self._log.close()

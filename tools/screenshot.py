"""`make screenshot`: the lead board as a manager sees it in a browser, for a person to look at.

Builds a demo showroom, serves it with `carcrm serve` on a free port, opens the
page in headless Chromium and drives it like a user: types the manager's name
and PIN on the sign-in screen (the real one, no shortcut), presses 2 for the
board, and saves a PNG once the screen has settled. Chromium is driven over
its DevTools protocol with aiohttp (already installed with carcrm[web]), so
nothing else is downloaded. Every wait is for a condition — a text arriving in
the terminal stream, the stream going quiet — with a timeout.

    python tools/screenshot.py [--out board.png] [--lang zh|en] [--size 1400x900] [--pane 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carcrm_tui.demo.build import load_data  # noqa: E402
from carcrm_tui.i18n import label, set_language, t  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--remote-debugging-port=0", "--remote-allow-origins=*"]
ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78DEHM])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"screenshot: gave up waiting for {what} after {timeout:.0f} s")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("screenshot: no chromium on PATH (make screenshot installs the Debian package)")


class Page:
    """One browser tab over the DevTools protocol; collects what the app writes to its terminal."""

    def __init__(self, ws, session: str) -> None:
        self.ws = ws
        self.session = session
        self.ids = iter(range(1, 1_000_000))
        self.pending: dict[int, asyncio.Future] = {}
        self.screen = ""  # the terminal stream so far, escape codes removed
        self.last_frame = time.monotonic()
        self.console: list[str] = []

    async def pump(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif data.get("method") == "Network.webSocketFrameReceived":
                frame = data["params"]["response"]
                payload = frame["payloadData"]
                raw = base64.b64decode(payload) if frame.get("opcode") == 2 else payload.encode()
                self.screen += ESCAPES.sub("", raw.decode("utf-8", "replace"))
                self.last_frame = time.monotonic()
            elif data.get("method") in ("Runtime.consoleAPICalled", "Log.entryAdded"):
                self.console.append(json.dumps(data["params"])[:300])

    async def call(self, method: str, session: bool = True, **params):
        i = next(self.ids)
        fut = asyncio.get_running_loop().create_future()
        self.pending[i] = fut
        message = {"id": i, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        await self.ws.send_str(json.dumps(message))
        result = await asyncio.wait_for(fut, 30)
        if "error" in result:
            raise SystemExit(f"screenshot: {method} failed: {result['error']}")
        return result.get("result", {})

    async def until(self, check, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                tail = self.screen[-600:]
                raise SystemExit(f"screenshot: gave up waiting for {what}; the terminal last showed:\n{tail}")
            await asyncio.sleep(0.05)

    async def shows(self, text: str, timeout: float = 30) -> None:
        start = len(self.screen)
        await self.until(lambda: text in self.screen[max(0, start - len(text)):], timeout, repr(text))

    async def settled(self, quiet: float = 0.6, timeout: float = 20) -> None:
        await self.until(lambda: time.monotonic() - self.last_frame > quiet, timeout, "the screen to settle")

    async def type(self, text: str) -> None:
        await self.call("Input.insertText", text=text)

    async def enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                            windowsVirtualKeyCode=13, nativeVirtualKeyCode=13,
                            **({"text": "\r"} if kind == "keyDown" else {}))


async def drive(url: str, devtools: str, out: Path, width: int, height: int, account: dict, pane: str,
                lang: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(devtools, max_msg_size=0) as ws:
            page = Page(ws, "")
            pump = asyncio.create_task(page.pump())
            target = (await page.call("Target.createTarget", url="about:blank"))["targetId"]
            page.session = (await page.call("Target.attachToTarget", targetId=target, flatten=True))["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                await page.call(f"{domain}.enable")
            await page.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                            deviceScaleFactor=1, mobile=False)
            await page.call("Page.navigate", url=url)

            await page.shows(t("signin.title"))  # the real sign-in screen, in this tab's own app
            await page.settled()
            await page.call("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
            await page.type(account["name"])
            await page.settled(0.3)
            await page.enter()
            await page.shows(t("signin.enter_pin", name=account["name"]))
            await page.settled(0.3)
            await page.type(account["pin"])
            await page.enter()
            await page.shows(t("pane.today"))
            await page.settled()
            if pane != "1":
                await page.type(pane)
                marker = {"2": label("stage", "needs"), "4": t("pane.late"), "5": t("pane.metrics")}.get(pane, "")
                if marker:
                    await page.shows(marker)
            await page.settled(1.0)  # the board's health line is counted after it draws
            shot = await page.call("Page.captureScreenshot", format="png")
            out.write_bytes(base64.b64decode(shot["data"]))
            refused = [line for line in page.console if "Refused" in line or "Security Policy" in line]
            if refused:  # the page tried to load something from elsewhere
                print("screenshot: the page was refused:\n" + "\n".join(refused), file=sys.stderr)
            if os.environ.get("SHOT_CONSOLE"):
                print("\n".join(page.console), file=sys.stderr)
            await page.call("Browser.close", session=False)
            pump.cancel()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="screenshot.png")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--size", default="1400x900", help="browser window, WIDTHxHEIGHT pixels")
    parser.add_argument("--pane", default="2", help="the pane key pressed after sign-in (2: the board)")
    parser.add_argument("--customers", type=int, default=600)
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    set_language(args.lang)
    manager = next(a for a in load_data()["accounts"] if a["role"] == "manager")
    out = Path(args.out).resolve()

    with tempfile.TemporaryDirectory(prefix="carcrm-shot-") as tmp:
        tmp_path = Path(tmp)
        env = {**os.environ, "CARCRM_CONFIG": str(tmp_path / "config.toml")}
        env.pop("NO_COLOR", None)
        db = tmp_path / "demo.sqlite"
        subprocess.run([sys.executable, "-m", "carcrm_tui", "demo", "--build-only", "--customers",
                        str(args.customers), "--db", str(db)], check=True, env=env, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "carcrm_tui", "--lang", args.lang, "serve", "--db", str(db),
                                   "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        browser = None
        try:
            wait_for(lambda: _listening(port) or server.poll() is not None, 30, "carcrm serve")
            if server.poll() is not None:
                raise SystemExit(f"screenshot: carcrm serve stopped: {server.stderr.read().decode()}")
            profile = tmp_path / "profile"
            browser = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                        f"--window-size={width},{height}", "about:blank"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            active = profile / "DevToolsActivePort"
            wait_for(lambda: active.exists() and len(active.read_text().split()) >= 2, 60, "Chromium's DevTools port")
            dev_port, dev_path = active.read_text().split()[:2]
            asyncio.run(drive(f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{dev_port}{dev_path}", out,
                              width, height, manager, args.pane, args.lang))
        finally:
            for proc in (browser, server):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
    print(f"screenshot: {out}")
    return 0


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    raise SystemExit(main())

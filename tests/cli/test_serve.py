"""`carcrm serve`: the page comes whole from this server, and every tab signs in with a PIN.

The site's config trusts the OS login of whoever runs the tests (as an SSH site
would); a terminal opened that way goes straight in, a browser tab does not.
"""

import asyncio
import re
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from carcrm_tui.i18n import set_language, t
from tests.terminal import ESCAPES, Terminal, app_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(demo_path, trusting_config):
    port = free_port()
    env = app_env(str(trusting_config))
    proc = subprocess.Popen([sys.executable, "-m", "carcrm_tui", "--lang", "en", "serve", "--db", str(demo_path),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "carcrm serve did not start listening"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_a_terminal_is_let_in_by_the_os_login(demo_path, trusting_config):
    """The mapping the served tabs must ignore is real: a plain terminal skips the PIN with it."""
    with Terminal.carcrm("--db", str(demo_path), "--lang", "en", env=app_env(str(trusting_config))) as term:
        term.wait_for("王建国")
        term.wait_for("Urgent")
        assert "PIN" not in term.text


async def _get(session, url):
    async with session.get(url) as response:
        return response.status, response.headers, await response.read()


def test_the_page_and_everything_it_loads_come_from_this_server(server):
    async def check():
        async with aiohttp.ClientSession() as http:
            status, headers, body = await _get(http, server + "/")
            assert status == 200
            page = body.decode("utf-8")
            urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(["']?([^"')]+)""", page)
            urls = [a or b for a, b in urls]
            assert urls, page
            assert not [u for u in urls if re.match(r"(https?:)?//", u) and not u.startswith(server + "/")], urls
            assert "googleapis" not in page and "fonts.g" not in page
            policy = headers["Content-Security-Policy"]
            assert "default-src 'self' " + server in policy and "font-src 'self' " + server in policy
            hosts = re.findall(r"(?:https?|wss?)://[^\s;']+", policy)
            assert all(h.split("://")[1] == server.split("://")[1] for h in hosts), hosts
            for url in urls:  # the script, the stylesheet and both fonts are here
                if url.startswith(server):
                    status, _h, body = await _get(http, url)
                    assert status == 200 and body, url
                    if url.endswith(".css"):
                        assert not re.search(rb"url\(\s*['\"]?(https?:)?//", body)

    asyncio.run(check())


async def _session_text(ws, until: str, sent: list, timeout: float = 40) -> str:
    deadline = time.monotonic() + timeout
    buffer = b""
    while True:
        text = ESCAPES.sub(b"", buffer).decode("utf-8", "replace")
        if until in text:
            return text
        assert time.monotonic() < deadline, f"{until!r} never appeared after {sent}; the tab showed:\n{text[-1500:]}"
        try:
            message = await ws.receive(timeout=0.5)
        except asyncio.TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            buffer += message.data
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise AssertionError(f"the session ended; it showed:\n{ESCAPES.sub(b'', buffer).decode()[-1500:]}")


def test_each_tab_signs_in_with_a_pin_even_where_the_os_login_is_trusted(server):
    set_language("en")

    async def check():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(server + "/ws?width=100&height=30", headers={"Origin": server}) as ws:
                sent = []
                text = await _session_text(ws, t("signin.title"), sent)
                assert "Urgent" not in text  # not let in by the OS login
                for keys, shows in (("王建国", "王建国"), ("\r", "enter your PIN"), ("0000\r", "Wrong PIN"),
                                    ("860517\r", "Urgent")):
                    sent.append(keys)
                    await ws.send_json(["stdin", keys])
                    await _session_text(ws, shows, sent)

    asyncio.run(check())


def test_a_page_on_another_site_cannot_open_a_session(server):
    async def check():
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(server + "/ws", headers={"Origin": "https://evil.example"})
            assert err.value.status == 403

    asyncio.run(check())


def test_serve_refuses_a_database_without_accounts(tmp_path):
    env = app_env(str(tmp_path / "none.toml"))
    result = subprocess.run([sys.executable, "-m", "carcrm_tui", "--lang", "en", "serve", "--db",
                             str(tmp_path / "empty.sqlite"), "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no accounts" in result.stderr and "Traceback" not in result.stderr

"""textual-serve's Server, made to fetch nothing from outside this host and to tell nothing.

- The page is ours (templates/app_index.html): the font comes from
  textual-serve's own /static/fonts, not Google Fonts; the texts are translated.
- Every response carries a Content-Security-Policy allowing only this origin,
  so a later change to the page or script cannot quietly load from elsewhere.
- The websocket only accepts pages from this server's own origin (a page on
  another site cannot open a session in the manager's browser).
- The server log never shows local variables in a traceback (the keys typed,
  a PIN among them, pass through the websocket handler).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from rich.logging import RichHandler
from textual_serve.server import Server

from carcrm_tui.i18n import t
from carcrm_tui.web import TEMPLATES


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port if parts.port and parts.port != default else None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


class LocalServer(Server):
    def __init__(self, command: str, *, host: str, port: int, public_url: str | None, title: str) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url,
                         templates_path=TEMPLATES)
        self.public_url = self.public_url.rstrip("/")
        self.origin = origin_of(self.public_url)
        here = f"'self' {self.origin}"  # the page names its files by the public URL
        socket = ("wss://" if self.public_url.startswith("https") else "ws://") + urlsplit(self.public_url).netloc
        self.policy = "; ".join((
            f"default-src {here}",
            f"connect-src {here} {socket}",
            f"script-src {here} 'unsafe-inline'",  # the page's small inline function
            f"style-src {here} 'unsafe-inline'",
            f"font-src {here}",
            f"img-src {here} data:",
            f"worker-src {here} blob:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ))

    def initialize_logging(self) -> None:
        logging.basicConfig(level="DEBUG" if self.debug else "INFO", format="%(message)s", datefmt="[%X]",
                            handlers=[RichHandler(show_path=False, show_time=False, rich_tracebacks=True,
                                                  tracebacks_show_locals=False, console=self.console)])

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its logo and the command line (with file paths); we said where we serve."""

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        aiohttp_jinja2.get_env(app).globals.update(
            text={k: t(f"web.page.{k}") for k in ("start", "ended", "restart", "loading")},
        )
        app.on_response_prepare.append(self._headers)
        return app

    async def _headers(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Content-Security-Policy"] = self.policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        same = origin is None or origin.rstrip("/") == self.origin or urlsplit(origin).netloc == request.host
        if not same:
            raise web.HTTPForbidden(text=t("web.wrong_origin"))
        return await super().handle_websocket(request)

"""The TUI tests wait for conditions, not for time: a check that keeps it so.

"Press, pause once, assert" passes on an idle machine and flakes on a busy one
(keys are held by type-ahead, scrolling happens after a refresh, workers report
back later, a live-refresh tick lands in between). So an assert must never be
the next thing after a key, a click or a pause: some `await` that waits for a
condition (tests.tui.helpers.wait_for) has to come between them. Statements
that do not await cannot give the app a turn, so they do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# awaiting one of these gives the app time, but proves nothing about what it has done
INTERACTIONS = {"press", "click", "pause", "hover", "resize_terminal", "wait_for_complete", "wait_for_animation",
                "wait_for_scheduled_animations", "sleep"}


def _interaction(node: ast.AST) -> str | None:
    """`await pilot.press(...)` (or click, pause, asyncio.sleep …) as a statement: its name."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Await):
        call = node.value.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in INTERACTIONS:
            return call.func.attr
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node.body:
        return _interaction(node.body[-1])  # a loop of presses or pauses ends the same way
    return None


def _awaits(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in ast.walk(node))


def _asserts(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def _blocks(tree: ast.AST):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                yield handler.body


def races(source: str) -> list[str]:
    """Each assert reached from a key, click or pause with no awaited condition in between."""
    found = []
    for block in _blocks(ast.parse(source)):
        for i, stmt in enumerate(block):
            name = _interaction(stmt)
            if name is None:
                continue
            for after in block[i + 1:]:
                if _interaction(after) is not None:
                    break  # the next key is checked from there
                if isinstance(after, ast.Assert) or (not _awaits(after) and _asserts(after)):
                    found.append(f"line {after.lineno}: assert right after `{name}` (line {stmt.lineno})")
                    break
                if _awaits(after):
                    break  # something awaited in between: a wait for a condition
    return found


def presses_before_snapshots(source: str) -> list[str]:
    """snap_compare(press=...) presses and shoots after one pause: use run_before with wait_for."""
    return [f"line {node.lineno}: snap_compare(press=...)" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "snap_compare"
            and any(k.arg == "press" for k in node.keywords)]


@pytest.mark.parametrize("path", sorted(HERE.glob("test_*.py")), ids=lambda p: p.name)
def test_no_assert_straight_after_a_key_or_a_pause(path):
    source = path.read_text(encoding="utf-8")
    assert races(source) == [], f"{path.name}: wait for the condition (tests.tui.helpers.wait_for) instead"
    assert presses_before_snapshots(source) == []


def test_the_check_sees_the_races_and_lets_waits_pass():
    bad = [
        "async def t(pilot):\n    await pilot.press('c')\n    assert x\n",
        "async def t(pilot):\n    await pilot.pause()\n    text = screen_text(app)\n    assert 'a' in text\n",
        "async def t(pilot):\n    await pilot.pause(1.5)\n    assert x\n",
        "async def t(pilot):\n    for _ in range(5):\n        await pilot.pause(0.02)\n    assert x\n",
        "async def t(pilot):\n    async with running(app) as pilot:\n        await pilot.click(W)\n"
        "        if y:\n            assert x\n",
        "async def t(pilot):\n    await app.workers.wait_for_complete()\n    assert x\n",
    ]
    good = [
        "async def t(pilot):\n    await pilot.press('c')\n    await wait_for(pilot, lambda: x)\n    assert y\n",
        "async def t(pilot):\n    await pilot.press('c')\n    text = await wait_for_text(pilot, 'a')\n    assert y\n",
        "async def t(pilot):\n    await pilot.press('c')\n    await pilot.press('d')\n    await wait_for(pilot, f)\n",
        "async def t(pilot):\n    assert x\n    await pilot.press('c')\n",
    ]
    assert all(races(source) for source in bad), [source for source in bad if not races(source)]
    assert not any(races(source) for source in good), [source for source in good if races(source)]
    assert presses_before_snapshots("snap_compare(app, press=['c'])")
    assert not presses_before_snapshots("snap_compare(app, run_before=typed)")

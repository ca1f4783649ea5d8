"""Sessions and progress of `kosmo-lua mcp --sim` through the official MCP Python SDK.

usage: python3 mcp_session_client.py KOSMO_LUA SCENARIO

Prints one JSON object of what the scenario saw (MCPSDKSessionTests.swift asserts on it), as
mcp_client.py does, whose helpers it uses.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcp_client import Client, call, server  # noqa: E402  (exits 3 without the SDK)

import scenario_main


async def session(kosmo):
    async with Client(server(kosmo), mode="legacy") as client:
        opened = await call(client, "execute_lua", {"code": "greeting = 'hello from call 1' return 1", "session": "new"})
        sid = opened["structured"].get("session")
        read = await call(client, "execute_lua", {"code": "return greeting", "session": sid})
        ended = await call(client, "end_session", {"session": sid})
        after = await call(client, "execute_lua", {"code": "return greeting", "session": sid})
        return {"session": sid, "read": read, "ended": ended, "after": after}


async def progress(kosmo):
    seen = []

    async def on_progress(value, total, message):
        seen.append({"progress": value, "total": total, "message": message, "at": time.monotonic()})

    async with Client(server(kosmo), mode="legacy") as client:
        started = time.monotonic()
        result = await client.call_tool("execute_lua", {"code": "return replicate.run('sim/slow', {seconds = 10})",
                                                        "timeout_seconds": 60},
                                        progress_callback=on_progress)
        elapsed = time.monotonic() - started
        polled = []

        async def on_polled(value, total, message):
            polled.append(message)

        # replicate.wait polls, so the status and the logs' percentages come through.
        waited = await client.call_tool("execute_lua", {
            "code": "local p = replicate.create_model_prediction('sim/slow', {seconds = 4}) return replicate.wait(p).status"},
            progress_callback=on_polled)
        quiet = []

        async def on_quiet(value, total, message):
            quiet.append(message)

        # No prediction waits: nothing to report, so no notification.
        await client.call_tool("execute_lua", {"code": "return 1"}, progress_callback=on_quiet)
        for item in seen:
            item["at"] = round(item["at"] - started, 3)
        return {"notifications": seen, "elapsed": elapsed, "is_error": bool(result.is_error),
                "result": (result.structured_content or {}).get("result"), "quiet": quiet,
                "polled": polled, "waited": (waited.structured_content or {}).get("result")}


async def progress_stateless(kosmo):
    """A 4 s run with a progress token from a stateless (2026-07-28) client: the token comes in
    the request's `_meta` there too, and the notifications reach the same callback."""
    seen = []

    async def on_progress(value, total, message):
        seen.append({"progress": value, "message": message})

    async with Client(server(kosmo), mode="2026-07-28") as client:
        result = await client.call_tool("execute_lua", {"code": "return replicate.run('sim/slow', {seconds = 4})"},
                                        progress_callback=on_progress)
        return {"protocol_version": client.protocol_version, "notifications": seen, "is_error": bool(result.is_error),
                "result": (result.structured_content or {}).get("result")}


SCENARIOS = {"session": session, "progress": progress, "progress_stateless": progress_stateless}


if __name__ == "__main__":
    scenario_main.main(SCENARIOS)

"""Drives `kosmo-lua mcp --sim` with the official MCP Python SDK as the client, for what a
snippet leaves running and what it used.

usage: python3 mcp_spend_client.py KOSMO_LUA SCENARIO

Prints one JSON object of what the scenario saw (MCPSDKSpendTests.swift asserts on it). A
scenario that cannot run prints {"error": "..."} and exits 1; without the SDK it exits 3 naming
the install command.
"""

import json
import sys
import time

import scenario_main

try:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
except ImportError:
    print(json.dumps({"error": "the MCP Python SDK is not installed: python3 -m pip install 'mcp>=2'"}))
    sys.exit(3)


# Every prediction the session's simulator holds, with its status.
LIST = """
local page = replicate.list_predictions()
local out = {}
for _, p in ipairs(page.results) do out[#out + 1] = {id = p.id, status = p.status} end
return out
"""


def structured(result):
    return result.structured_content if result.structured_content is not None else {}


async def limit_cancels(kosmo):
    params = StdioServerParameters(command=kosmo, args=["mcp", "--sim"])
    async with Client(params, mode="legacy") as client:
        started = time.monotonic()
        ended = await client.call_tool("execute_lua", {
            "code": 'return replicate.run("sim/slow", {seconds = 60})', "timeout_seconds": 5})
        seconds = time.monotonic() - started
        listed = await client.call_tool("execute_lua", {"code": LIST})
        return {"seconds": seconds, "is_error": bool(ended.is_error), "envelope": structured(ended),
                "predictions": structured(listed).get("result")}


async def usage(kosmo):
    params = StdioServerParameters(command=kosmo, args=["mcp", "--sim", "--max-predict-seconds", "0.5"])
    async with Client(params, mode="legacy") as client:
        code = """
        local first = replicate.run("sim/slow", {seconds = 1})
        local ok, err = pcall(replicate.run, "sim/slow", {seconds = 1})
        return {first = first, refused = err.kind, message = err.message}
        """
        ran = await client.call_tool("execute_lua", {"code": code})
        return {"envelope": structured(ran)}


SCENARIOS = {
    "limit-cancels": limit_cancels,
    "usage": usage,
}


if __name__ == "__main__":
    scenario_main.main(SCENARIOS)

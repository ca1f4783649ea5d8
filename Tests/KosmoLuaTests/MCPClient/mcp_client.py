"""Drives `kosmo-lua mcp --sim` with the official MCP Python SDK as the client, as an agent would.

usage: python3 mcp_client.py KOSMO_LUA SCENARIO

Prints one JSON object of what the scenario saw (MCPSDKTests.swift asserts on it). A scenario
that cannot run prints {"error": "..."} and exits 1; without the SDK it exits 3 naming the
install command.
"""

import json
import subprocess
import sys
import time

import scenario_main

try:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
except ImportError:
    print(json.dumps({"error": "the MCP Python SDK is not installed: python3 -m pip install 'mcp>=2'"}))
    sys.exit(3)


def server(kosmo):
    return StdioServerParameters(command=kosmo, args=["mcp", "--sim"])


def structured(result):
    return result.structured_content if result.structured_content is not None else {}


def text_of(result):
    return "\n".join(getattr(part, "text", "") for part in result.content)


async def call(client, name, arguments):
    result = await client.call_tool(name, arguments)
    return {"is_error": bool(result.is_error), "text": text_of(result), "structured": structured(result)}


async def tools(kosmo, mode):
    async with Client(server(kosmo), mode=mode) as client:
        listed = await client.list_tools()
        found = {}
        for tool in listed.tools:
            hints = tool.annotations
            found[tool.name] = {
                "annotations": None if hints is None else {
                    "readOnlyHint": hints.read_only_hint, "destructiveHint": hints.destructive_hint,
                    "idempotentHint": hints.idempotent_hint, "openWorldHint": hints.open_world_hint},
                "output_schema": tool.output_schema is not None,
                "input_properties": sorted((tool.input_schema or {}).get("properties", {}).keys()),
            }
        ran = await call(client, "execute_lua", {"code": "return 1 + 1"})
        return {"protocol_version": client.protocol_version, "tools": found, "ran": ran["structured"].get("result")}


async def big_result(kosmo):
    async with Client(server(kosmo), mode="legacy") as client:
        code = "local rows = {} for i = 1, 200000 do rows[i] = {id = i, name = 'row ' .. i} end return rows"
        started = time.monotonic()
        result = await client.call_tool("execute_lua", {"code": code})
        seconds = time.monotonic() - started
        envelope = structured(result)
        small = await call(client, "execute_lua", {"code": "return ('x'):rep(5000)", "result_limit_bytes": 1000})
        return {"seconds": seconds, "structured_bytes": len(json.dumps(envelope)), "ok": envelope.get("ok"),
                "result_truncated": envelope.get("result_truncated"), "rows": len(envelope.get("result") or []),
                "first": (envelope.get("result") or [None])[0], "is_error": bool(result.is_error),
                "small": small["structured"]}


async def unencodable(kosmo):
    async with Client(server(kosmo), mode="legacy") as client:
        code = ("local p = replicate.create_model_prediction{model_owner = 'sim', model_name = 'slow', input = {seconds = 30}}\n"
                "replicate.cancel_prediction{prediction_id = p.id}\nreturn math.huge")
        huge = await call(client, "execute_lua", {"code": code})
        fn = await call(client, "execute_lua", {"code": "return {f = print}"})
        cycle = await call(client, "execute_lua", {"code": "local t = {} t.self = t return t"})
        mapped = await call(client, "execute_lua", {"code": """
            local results, errors = replicate.map({"replicate/hello-world", "no/such"}, function(ref)
              return replicate.get_model(ref).name
            end, {return_errors = true})
            return {results = results, errors = errors, second_failed = errors[2] ~= false, first_ok = not errors[1]}
            """})
        printed = await call(client, "execute_lua", {"code": "for i = 1, 20000 do print('line ' .. i) end return 'done'"})
        return {"huge": huge, "function": fn["structured"], "cycle": cycle["structured"], "mapped": mapped["structured"],
                "printed": printed["structured"]}


async def bad_arguments(kosmo):
    async with Client(server(kosmo), mode="legacy") as client:
        return {"cod": await call(client, "execute_lua", {"cod": "return 1"}),
                "timeout_s": await call(client, "execute_lua", {"code": "return 1", "timeout_s": 2}),
                "search": await call(client, "search_functions", {"query": "model", "limt": 3}),
                "good": await call(client, "execute_lua", {"code": "return 1", "timeout_seconds": 2})}


async def resources(kosmo):
    async with Client(server(kosmo), mode="legacy") as client:
        listed = await client.list_resources()
        uris = [str(resource.uri) for resource in listed.resources]
        read = {}
        for uri in ["kosmo-lua://stubs/replicate.lua", "kosmo-lua://docs/functions", "kosmo-lua://docs/agent-mode",
                    "kosmo-lua://functions/get_model"]:
            contents = (await client.read_resource(uri)).contents
            read[uri] = contents[0].text if contents else ""
        try:
            await client.read_resource("kosmo-lua://functions/get_modle")
            missing = "no error"
        except Exception as error:  # the SDK raises the server's JSON-RPC error
            missing = str(error)
        return {"uris": uris, "read": read, "missing": missing,
                "capabilities": client.server_capabilities.model_dump(by_alias=True, exclude_none=True)}


async def describe_model(kosmo):
    async with Client(server(kosmo), mode="legacy") as client:
        latest = await call(client, "describe_model", {"model": "sim/slow"})
        version = latest["structured"].get("version") or ""
        pinned = await call(client, "describe_model", {"model": "sim/slow:" + version})
        echo = await call(client, "describe_model", {"model": "sim/echo"})
        missing = await call(client, "describe_model", {"model": "no/such-model"})
        malformed = await call(client, "describe_model", {"model": "not a model"})
        return {"latest": latest, "pinned": pinned, "echo": echo["structured"], "missing": missing, "malformed": malformed}


async def modern(kosmo):
    found = {}
    for mode in ["auto", "2026-07-28"]:
        async with Client(server(kosmo), mode=mode) as client:
            listed = await client.list_tools()
            ran = await call(client, "execute_lua", {"code": "return 'modern'"})
            found[mode] = {"protocol_version": client.protocol_version, "tools": sorted(t.name for t in listed.tools),
                           "ran": ran["structured"].get("result"),
                           "server": client.server_info.name if client.server_info else None}
    return found


def handshake_2025_06_18(kosmo):
    """The older handshake, spoken line by line (the SDK's legacy mode asks for its newest)."""
    process = subprocess.Popen([kosmo, "mcp", "--sim"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    def ask(message):
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
        if "id" not in message:
            return None
        return json.loads(process.stdout.readline())
    init = ask({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
    ask({"jsonrpc": "2.0", "method": "notifications/initialized"})
    listed = ask({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    ran = ask({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "execute_lua", "arguments": {"code": "return 6 * 7"}}})
    process.stdin.close()
    process.wait(timeout=10)
    return {"protocol_version": init["result"]["protocolVersion"],
            "tools": sorted(t["name"] for t in listed["result"]["tools"]),
            "ran": ran["result"]["structuredContent"]["result"]}


SCENARIOS = {
    "tools-legacy": lambda k: tools(k, "legacy"),
    "big-result": big_result,
    "unencodable": unencodable,
    "bad-arguments": bad_arguments,
    "resources": resources,
    "describe-model": describe_model,
    "modern": modern,
    "handshake-2025-06-18": handshake_2025_06_18,
}


if __name__ == "__main__":
    scenario_main.main(SCENARIOS)

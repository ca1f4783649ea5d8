"""Approval in both protocol generations, with the official MCP Python SDK as the client.

usage: python3 mcp_approval_client.py KOSMO_LUA SCENARIO

The server runs `kosmo-lua mcp --sim --write ask --allow create_prediction`: creating is allowed,
canceling asks. A stateless (2026-07-28) client gets an input-required result and retries with
the person's answer; a handshake client gets an elicitation request. Prints one JSON object of
what the scenario saw (MCPSDKApprovalTests.swift asserts on it).
"""

import json
import sys

import scenario_main

try:
    import mcp_types as types
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
except ImportError:
    print(json.dumps({"error": "the MCP Python SDK is not installed: python3 -m pip install 'mcp>=2'"}))
    sys.exit(3)

SNIPPET = """
local p = replicate.create_prediction{version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "x"}}
print("created " .. p.id)
local canceled = replicate.cancel_prediction(p.id)
return {id = p.id, status = canceled.status}
"""
COUNT = "return #replicate.list_predictions().results"


def server(kosmo):
    return StdioServerParameters(command=kosmo, args=["mcp", "--sim", "--write", "ask", "--allow", "create_prediction"])


def answering(choice, asked):
    async def callback(context, params):
        asked.append(params.message)
        if choice is None:
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content={"answer": choice})
    return callback


def envelope(result):
    return result.structured_content if result.structured_content is not None else {}


async def answered(kosmo, mode, choice):
    asked = []
    async with Client(server(kosmo), mode=mode, elicitation_callback=answering(choice, asked)) as client:
        ran = envelope(await client.call_tool("execute_lua", {"code": SNIPPET}))
        # The same simulator serves the whole session: a snippet run again from its start would
        # have created a second prediction.
        count = envelope(await client.call_tool("execute_lua", {"code": COUNT})).get("result")
        return {"protocol_version": client.protocol_version, "asked": asked, "envelope": ran, "predictions": count}


async def raw_rounds(kosmo):
    """Drives the stateless rounds by hand: the input-required result, a forged state, a wrong
    call's state, a retry without the answer, then the answer."""
    async with Client(server(kosmo), mode="2026-07-28", elicitation_callback=answering("allow once", [])) as client:
        session = client.session
        first = await session.call_tool("execute_lua", {"code": SNIPPET}, allow_input_required=True)
        if not isinstance(first, types.InputRequiredResult):
            return {"error": "expected an input-required result, got " + type(first).__name__}
        state = first.request_state
        request = first.input_requests["approval"]
        forged = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
        tampered = await session.call_tool("execute_lua", {"code": SNIPPET}, request_state=forged, allow_input_required=True)
        other = await session.call_tool("execute_lua", {"code": "return 1"}, request_state=state, allow_input_required=True)
        again = await session.call_tool("execute_lua", {"code": SNIPPET}, request_state=state, allow_input_required=True)
        accept = {"approval": types.ElicitResult(action="accept", content={"answer": "allow once"})}
        done = await session.call_tool("execute_lua", {"code": SNIPPET}, request_state=state, input_responses=accept,
                                       allow_input_required=True)
        replay = await session.call_tool("execute_lua", {"code": SNIPPET}, request_state=state, input_responses=accept,
                                         allow_input_required=True)

        def shown(result):
            if isinstance(result, types.InputRequiredResult):
                return {"input_required": True, "same_state": result.request_state == state}
            return {"input_required": False, "envelope": envelope(result)}
        return {
            "method": request.method,
            "message": request.params.message,
            "enum": request.params.requested_schema["properties"]["answer"]["enum"],
            "tampered": shown(tampered), "other": shown(other), "again": shown(again),
            "done": shown(done), "replay": shown(replay),
        }


SCENARIOS = {
    "modern-allow": lambda k: answered(k, "2026-07-28", "allow once"),
    "modern-decline": lambda k: answered(k, "2026-07-28", None),
    "legacy-allow": lambda k: answered(k, "legacy", "allow once"),
    "modern-rounds": raw_rounds,
}


if __name__ == "__main__":
    scenario_main.main(SCENARIOS)

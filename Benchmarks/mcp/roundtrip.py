"""`execute_lua` round trips for `return 1` through `kosmo-lua mcp --sim`: without a session (a
child process per call) and inside a session (one child for all calls).

usage: python3 roundtrip.py KOSMO_LUA OUT.md [CALLS]

Speaks JSON-RPC lines to the server itself (no SDK in the measured path), one call at a time,
and writes a Markdown table of the medians and 90th percentiles to OUT.md. Goal: a call inside
a session at most 3 ms.

Then, in a fresh server, pings sent every 100 ms while its first execution (`replicate.sleep(2)`)
runs: how long the server takes to answer other requests while it waits for a child.
"""

import json
import statistics
import subprocess
import sys
import threading
import time


def pings_during_execution(kosmo, seconds=2.0, every=0.1):
    """Times (ms) to answer each ping sent while a fresh server's first execution runs."""
    server = subprocess.Popen([kosmo, "mcp", "--sim"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    answered = {}
    done = threading.Event()

    def read():
        for line in server.stdout:
            message = json.loads(line)
            if "id" in message:
                answered[message["id"]] = time.perf_counter()
                if message["id"] == "run":
                    done.set()

    def send(message):
        server.stdin.write((json.dumps(message) + "\n").encode())

    threading.Thread(target=read, daemon=True).start()
    send({"jsonrpc": "2.0", "id": "init", "method": "initialize",
          "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    while "init" not in answered:
        time.sleep(0.001)
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": "run", "method": "tools/call",
          "params": {"name": "execute_lua", "arguments": {"code": f"replicate.sleep({seconds}) return 1"}}})
    sent = {}
    n = 0
    while not done.wait(every):
        n += 1
        sent[n] = time.perf_counter()
        send({"jsonrpc": "2.0", "id": n, "method": "ping"})
    deadline = time.perf_counter() + 5
    while any(i not in answered for i in sent) and time.perf_counter() < deadline:
        time.sleep(0.001)
    server.stdin.close()
    server.wait(timeout=10)
    return sorted((answered[i] - sent[i]) * 1000 if i in answered else float("inf") for i in sent)


def main():
    kosmo, out = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    server = subprocess.Popen([kosmo, "mcp", "--sim"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    next_id = [0]

    def request(method, params):
        next_id[0] += 1
        server.stdin.write((json.dumps({"jsonrpc": "2.0", "id": next_id[0], "method": method, "params": params}) + "\n").encode())
        while True:
            message = json.loads(server.stdout.readline())
            if message.get("id") == next_id[0]:
                return message

    request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}})
    server.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')

    def execute(arguments):
        reply = request("tools/call", {"name": "execute_lua", "arguments": arguments})
        envelope = reply["result"]["structuredContent"]
        if envelope.get("result") != 1:
            raise SystemExit(f"unexpected reply: {reply}")
        return envelope

    def measure(arguments, n):
        for _ in range(20):
            execute(arguments)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            execute(arguments)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        return {"median": statistics.median(times), "p90": times[int(len(times) * 0.9)], "min": times[0], "n": n}

    one_shot = measure({"code": "return 1"}, max(50, calls // 5))
    session = execute({"code": "return 1", "session": "new"})["session"]
    in_session = measure({"code": "return 1", "session": session}, calls)
    server.stdin.close()
    server.wait(timeout=10)
    pings = pings_during_execution(kosmo)

    met = "**met**" if in_session["median"] <= 3 else "**not met**"
    lines = [
        "# `execute_lua` round trip (`kosmo-lua mcp --sim`)",
        "",
        f"Written by Benchmarks/mcp/roundtrip.py (which `make bench` runs) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        "`return 1` as a `tools/call`, one at a time, JSON-RPC lines over the server's standard input and output. "
        f"Binary: `{kosmo}`.",
        "",
        "| call | calls | median | p90 | min |",
        "|---|---|---|---|---|",
        f"| without a session (a child process per call) | {one_shot['n']} | {one_shot['median']:.2f} ms | {one_shot['p90']:.2f} ms | {one_shot['min']:.2f} ms |",
        f"| inside a session (one child, `session`) | {in_session['n']} | {in_session['median']:.2f} ms | {in_session['p90']:.2f} ms | {in_session['min']:.2f} ms |",
        "",
        f"Goal: inside a session at most 3 ms (median): {in_session['median']:.2f} ms, {met}.",
        "",
        "## Other requests while an execution runs",
        "",
        f"A fresh server's first `execute_lua` (`replicate.sleep(2)`), with a `ping` sent every 100 ms until its result "
        f"came: {len(pings)} pings, answered in a median of {statistics.median(pings):.2f} ms, the slowest in "
        f"{pings[-1]:.2f} ms.",
        "",
    ]
    with open(out, "w") as handle:
        handle.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

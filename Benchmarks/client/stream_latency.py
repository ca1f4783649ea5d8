"""Streaming latency: time from a server writing a token to the client's loop receiving it.

usage: python3 stream_latency.py OUT.json TOKENS INTERVAL_MS -- CLIENT_COMMAND...

Serves, on 127.0.0.1 and an ephemeral port, the two endpoints a streamed run touches — the
prediction create (`POST /v1/models/bench/stream/predictions`, answered with a prediction whose
`urls.stream` points back here) and the stream itself (`GET /v1/streams/<id>`) — and sends TOKENS
`output` events INTERVAL_MS apart, in the simulator's wire format (`event:`, `id:`, `data:`), then
`done`. Just before writing each event it reads CLOCK_MONOTONIC. The client command (kosmo-lua
running stream.lua, or python3 running stream_client.py) prints each token on its own line as
its loop receives it, unbuffered; this process reads that pipe and reads CLOCK_MONOTONIC when a
line arrives. Both clocks are the same system-wide clock, so latency = arrival - write.

What the figure includes: loopback TCP, the client's HTTP and SSE parsing, handing the event to
the loop (for kosmo-lua: Swift task → VM thread → Lua), the loop writing the line, and the pipe
back to this process (tens of microseconds). So it is an upper bound on token → loop.

The client's environment must point it here: this script sets REPLICATE_URL, REPLICATE_BASE_URL
and REPLICATE_API_TOKEN for it. Writes OUT.json with the samples in milliseconds.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREDICTION_ID = "benchstream0000000000000000"


def prediction(base: str) -> dict:
    return {
        "id": PREDICTION_ID,
        "model": "bench/stream",
        "version": "0" * 64,
        "input": {},
        "output": None,
        "logs": "",
        "error": None,
        "status": "starting",
        "source": "api",
        "metrics": {},
        "created_at": "2026-11-22T00:00:00.000000Z",
        "started_at": None,
        "completed_at": None,
        "urls": {
            "get": f"{base}/v1/predictions/{PREDICTION_ID}",
            "cancel": f"{base}/v1/predictions/{PREDICTION_ID}/cancel",
            "stream": f"{base}/v1/streams/{PREDICTION_ID}",
        },
    }


class Emitter:
    def __init__(self, tokens: int, interval_ms: float):
        self.tokens = tokens
        self.interval = interval_ms / 1000
        self.sent_ns: dict[str, int] = {}
        self.streams = 0


def make_handler(emitter: Emitter):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the stream ends when the connection closes
        wbufsize = 0                    # unbuffered: each write is a send()

        def log_message(self, *args):   # quiet
            pass

        def base(self) -> str:
            host, port = self.server.server_address[:2]
            return f"http://{host}:{port}"

        def send_json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if self.path.rstrip("/").endswith("/predictions"):
                self.send_json(201, prediction(self.base()))
            else:
                self.send_json(404, {"title": "Not found", "detail": self.path, "status": 404})

        def do_GET(self):
            if self.path.startswith("/v1/streams/"):
                self.stream()
            elif self.path.startswith("/v1/predictions/"):
                self.send_json(200, prediction(self.base()) | {"status": "processing"})
            else:
                self.send_json(404, {"title": "Not found", "detail": self.path, "status": 404})

        def stream(self):
            emitter.streams += 1
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            next_at = time.monotonic() + emitter.interval
            for i in range(1, emitter.tokens + 1):
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_at += emitter.interval
                token = f"t{i}"
                event = f"event: output\nid: {i}\ndata: {token}\n\n".encode()
                emitter.sent_ns[token] = time.monotonic_ns()
                self.wfile.write(event)
            self.wfile.write(f"event: done\nid: {emitter.tokens + 1}\ndata: {{}}\n\n".encode())

    return Handler


def main() -> None:
    out_path, tokens, interval_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    command = sys.argv[sys.argv.index("--") + 1:]
    emitter = Emitter(tokens, interval_ms)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(emitter))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]

    env = dict(os.environ)
    env["REPLICATE_URL"] = f"http://{host}:{port}/v1"
    env["REPLICATE_BASE_URL"] = f"http://{host}:{port}"
    env["REPLICATE_API_TOKEN"] = "x"
    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
    received_ns: dict[str, int] = {}
    buffer = b""
    fd = child.stdout.fileno()
    while True:
        chunk = os.read(fd, 65536)
        now = time.monotonic_ns()
        if not chunk:
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            received_ns.setdefault(line.decode(), now)
    status = child.wait()
    server.shutdown()

    samples = [(received_ns[t] - emitter.sent_ns[t]) / 1e6 for t in emitter.sent_ns if t in received_ns]
    missing = [t for t in emitter.sent_ns if t not in received_ns]
    # The first token also carries the connection set-up and the VM's first resume: report the
    # steady state without it, and it separately.
    result = {
        "command": command,
        "status": status,
        "tokens": tokens,
        "interval_ms": interval_ms,
        "received": len(samples),
        "missing": len(missing),
        "first_ms": samples[0] if samples else None,
        "samples_ms": samples[1:],
        "median_ms": statistics.median(samples[1:]) if len(samples) > 1 else None,
        "p90_ms": statistics.quantiles(samples[1:], n=10)[-1] if len(samples) > 10 else None,
        "max_ms": max(samples[1:]) if len(samples) > 1 else None,
        "min_ms": min(samples[1:]) if len(samples) > 1 else None,
    }
    with open(out_path, "w") as f:
        json.dump(result, f)
    print(f"{command[0]}: {len(samples)}/{tokens} tokens, median {result['median_ms']} ms, exit {status}", file=sys.stderr)
    if status != 0 or missing:
        raise SystemExit(f"stream_latency: client exited {status}, {len(missing)} token(s) never arrived")


if __name__ == "__main__":
    main()

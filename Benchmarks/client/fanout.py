"""Fan-out with the official client: asyncio.gather over N replicate.async_run calls.

usage: REPLICATE_BASE_URL=… REPLICATE_API_TOKEN=x python3 fanout.py N
Prints {"n": N, "gather_s": seconds spent in gather} as JSON (the import is not in it).
"""
import asyncio
import json
import sys
import time

import replicate


async def main(n: int) -> float:
    started = time.perf_counter()
    outputs = await asyncio.gather(*(replicate.async_run("sim/slow", input={"seconds": 1}) for _ in range(n)))
    elapsed = time.perf_counter() - started
    assert len(outputs) == n
    return elapsed


n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
print(json.dumps({"n": n, "gather_s": asyncio.run(main(n))}))

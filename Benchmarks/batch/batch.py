"""A large batch with the official client: asyncio.gather over N replicate.async_run calls, at
most C at once (an asyncio.Semaphore; with C = N, all at once).

usage: REPLICATE_BASE_URL=… REPLICATE_API_TOKEN=x python3 batch.py N C
Prints {"n": N, "c": C, "ok": runs that returned, "errors": {kind: count}, "seconds": …} as JSON.
"""
import asyncio
import collections
import json
import sys
import time

import replicate


async def main(n: int, c: int) -> dict:
    gate = asyncio.Semaphore(c)
    errors = collections.Counter()

    async def one():
        async with gate:
            try:
                await replicate.async_run("sim/slow", input={"seconds": 1})
                return True
            except Exception as e:  # the benchmark counts failures by kind, as a user would see them
                errors[type(e).__name__] += 1
                return False

    started = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(n)))
    return {"n": n, "c": c, "ok": sum(results), "errors": dict(errors), "seconds": time.perf_counter() - started}


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
c = int(sys.argv[2]) if len(sys.argv) > 2 else n
print(json.dumps(asyncio.run(main(n, c))))

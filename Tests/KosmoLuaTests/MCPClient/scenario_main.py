"""What every client script here shares: `python3 SCRIPT KOSMO_LUA SCENARIO` runs one scenario
(a function of the kosmo-lua binary's path, plain or async) and prints what it saw as one JSON
object; a scenario that cannot run prints {"error": "..."} and exits 1, bad usage exits 2."""

import asyncio
import inspect
import json
import os
import sys


def main(scenarios):
    script = os.path.basename(sys.argv[0])
    if len(sys.argv) != 3 or sys.argv[2] not in scenarios:
        print(json.dumps({"error": f"usage: {script} KOSMO_LUA " + "|".join(scenarios)}))
        sys.exit(2)
    try:
        found = scenarios[sys.argv[2]](sys.argv[1])
        if inspect.isawaitable(found):
            found = asyncio.run(found)
    except Exception as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
    print(json.dumps(found, default=str))

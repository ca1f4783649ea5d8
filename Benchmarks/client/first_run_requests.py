"""Requests the first run of a model sends, with the input check and without (Benchmarks/run.sh).

usage: python3 first_run_requests.py KOSMO_LUA SIM_ROOT OUT_JSON
Runs `replicate.run("black-forest-labs/flux-schnell", …)` in a fresh kosmo-lua process against the
simulator at SIM_ROOT (its request log cleared first), once checked and once with validate =
false, and writes what the simulator saw of each.
"""
import json
import subprocess
import sys
import urllib.request

kosmo, root, out = sys.argv[1], sys.argv[2], sys.argv[3]


def requests_of(validate: bool) -> list:
    urllib.request.urlopen(urllib.request.Request(root + "/_sim/requests", method="DELETE")).read()
    code = 'replicate.run("black-forest-labs/flux-schnell", {prompt = "a fox"}, {validate = %s})' % ("true" if validate else "false")
    subprocess.run([kosmo, "--allow", "run", "-e", code], check=True)
    seen = json.loads(urllib.request.urlopen(root + "/_sim/requests").read())
    return [f"{r['method']} {r['path']}" for r in seen]


checked, unchecked = requests_of(True), requests_of(False)
json.dump({"checked": checked, "unchecked": unchecked}, open(out, "w"))

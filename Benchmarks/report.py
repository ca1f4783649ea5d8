"""Turns the raw measurements of Benchmarks/run.sh into Benchmarks/results/latest.md.

usage: python3 report.py WORK_DIR OUT_MD [NOTES_MD]
"""
import json
import statistics
import sys
from pathlib import Path

STARTUP_GOAL = 2.0        # kosmo-lua start-up at most 2x lua5.4's
HOSTCALL_GOAL_NS = 100.0  # a Lua -> Swift -> Lua round trip at most 100 ns
JSON_GOAL = 1.0           # json.decode at least as fast as cjson.decode: time ratio at most 1


def load_env(path: Path) -> dict:
    env = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


def out(work: Path, name: str) -> dict:
    return json.loads((work / f"{name}.out").read_text())


def rss(work: Path, name: str) -> int:
    """Peak resident set size in KiB."""
    return int((work / f"{name}.rss").read_text().strip())


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def main() -> None:
    work, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    notes = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    env = load_env(work / "machine.env")
    lines: list[str] = []
    w = lines.append

    # --- start-up
    startup = {r["command"]: r for r in json.loads((work / "startup.json").read_text())["results"]}
    k, l = startup["kosmo-lua"], startup["lua5.4"]
    startup_ratio = k["median"] / l["median"]

    # --- host calls
    kosmo_calls = out(work, "hostcall_kosmo")
    lua_call = out(work, "hostcall_lua54")
    lupa_call = out(work, "hostcall_lupa")
    swift_noop = kosmo_calls["results"][0]
    c_ns = lua_call["ns_median"]

    # --- JSON
    doc = json.loads((work / "doc.info").read_text())
    rounds = sorted(int(p.stem.rsplit("_", 1)[1]) for p in work.glob("json_kosmo_*.out"))
    runs = {impl: [out(work, f"json_{impl}_{r}") for r in rounds] for impl in ("kosmo", "cjson")}
    all_samples = {impl: [s for run in runs[impl] for s in run["samples_ms"]] for impl in runs}
    json_median = {impl: statistics.median(all_samples[impl]) for impl in runs}
    json_ratio = json_median["kosmo"] / json_median["cjson"]
    digests = {impl: {run["digest"] for run in runs[impl]} for impl in runs}
    digests_agree = len(digests["kosmo"]) == 1 and digests["kosmo"] == digests["cjson"]

    w("# kosmo-lua benchmarks")
    w("")
    w(f"Written by `make bench` (`bash Benchmarks/run.sh`) on {env['date']}, all numbers from that one run "
      f"(kosmo-lua at commit {env['commit']}). How to read this: `Benchmarks/README.md`.")
    w("")
    w("## Goals (issue 2)")
    w("")
    w("| benchmark | goal | measured | result |")
    w("|---|---|---|---|")
    w(f"| start-up, `kosmo-lua -e ''` vs `lua5.4 -e ''` | at most {STARTUP_GOAL:g}x | "
      f"{startup_ratio:.2f}x ({k['median'] * 1e3:.2f} ms vs {l['median'] * 1e3:.2f} ms) | {verdict(startup_ratio <= STARTUP_GOAL)} |")
    w(f"| Lua → Swift host function → Lua | at most {HOSTCALL_GOAL_NS:g} ns a call | "
      f"{swift_noop['ns_median']:.1f} ns ({swift_noop['ns_median'] / c_ns:.2f}x a C call in lua5.4) | "
      f"{verdict(swift_noop['ns_median'] <= HOSTCALL_GOAL_NS)} |")
    w(f"| {doc['bytes'] / 1048576:.1f} MiB JSON → Lua tables vs `cjson.decode` | at least as fast (time ratio ≤ {JSON_GOAL:g}) | "
      f"{json_ratio:.2f}x cjson's time ({json_median['kosmo']:.1f} ms vs {json_median['cjson']:.1f} ms) | "
      f"{verdict(json_ratio <= JSON_GOAL)} |")
    w("")

    w("## Machine and versions")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| CPU | {env['cpu']}, `nproc` = {env['nproc']} |")
    w(f"| memory | {env['memory']} |")
    w(f"| kernel | {env['kernel']} |")
    w(f"| load average (1/5/15 min) | {env['load_start']} at the start, {env.get('load_end', '?')} at the end |")
    w(f"| kosmo-lua | {env['kosmo_lua']} |")
    w(f"| lua5.4 | {env['lua54']} |")
    w(f"| lua-cjson | {env['cjson']} |")
    w(f"| Python | {env['python3']} |")
    w(f"| lupa | {env['lupa']} |")
    w(f"| hyperfine | {env['hyperfine']} |")
    w("")
    w("Times in Lua loops are CPU time (`os.clock`), so other processes on a shared machine disturb them "
      "less than wall time; start-up is wall time (hyperfine). Every figure is a median of repeated runs.")
    w("")

    w("## 1. Start-up")
    w("")
    w(f"`hyperfine -N --warmup 20 --runs {k['times'].__len__()}`, wall time per run:")
    w("")
    w("| command | median | mean ± σ | min | max | peak RSS |")
    w("|---|---|---|---|---|---|")
    for name, r, rss_name in (("kosmo-lua -e ''", k, "startup_kosmo"), ("lua5.4 -e ''", l, "startup_lua54")):
        w(f"| `{name}` | {r['median'] * 1e3:.2f} ms | {r['mean'] * 1e3:.2f} ± {r['stddev'] * 1e3:.2f} ms | "
          f"{r['min'] * 1e3:.2f} ms | {r['max'] * 1e3:.2f} ms | {mib(rss(work, rss_name))} |")
    w("")
    w(f"Ratio of medians: **{startup_ratio:.2f}x** (goal at most {STARTUP_GOAL:g}x: {verdict(startup_ratio <= STARTUP_GOAL)}).")
    w("")

    w("## 2. Host-call overhead")
    w("")
    w("Every runtime runs the same Lua loop (`Benchmarks/hostcall.lua`: `for _ = 1, n do f(s) end`, "
      "`s` a one-character string), minus an empty loop of the same length; median of "
      f"{lua_call['reps']} loops. kosmo-lua and lua5.4: n = {lua_call['n']:,}; lupa: n = {lupa_call['n']:,}.")
    w("")
    w("| runtime | function `f` | median ns/call | min | max | vs C call in lua5.4 | peak RSS |")
    w("|---|---|---|---|---|---|---|")
    rows = [("kosmo-lua `LuaVM` (KosmoBench)", r, "hostcall_kosmo") for r in kosmo_calls["results"]]
    rows.append(("lua5.4", lua_call, "hostcall_lua54"))
    rows.append((lupa_call["runtime"], lupa_call, "hostcall_lupa"))
    for runtime, r, rss_name in rows:
        w(f"| {runtime} | {r['function']} | {r['ns_median']:.1f} | {r['ns_min']:.1f} | {r['ns_max']:.1f} | "
          f"{r['ns_median'] / c_ns:.2f}x | {mib(rss(work, rss_name))} |")
    w("")
    w(f"Swift no-op round trip: **{swift_noop['ns_median']:.1f} ns** (goal at most {HOSTCALL_GOAL_NS:g} ns: "
      f"{verdict(swift_noop['ns_median'] <= HOSTCALL_GOAL_NS)}); lupa's Lua → Python call: "
      f"{lupa_call['ns_median']:.0f} ns. Peak RSS is the whole benchmark process (KosmoBench / lua5.4 / python3).")
    w("")

    w("## 3. JSON document → Lua tables")
    w("")
    w(f"Document: {doc['bytes']:,} bytes, a page of {doc['records']:,} prediction-like records, generated "
      "deterministically by `Benchmarks/gen_json.py` (nested objects and arrays, ints and floats, nulls, "
      "escapes, raw UTF-8 and `\\uXXXX` surrogate pairs). Loop: `Benchmarks/json_decode.lua`, the same file "
      f"under both interpreters; {len(rounds)} process(es) per decoder, alternating, {runs['kosmo'][0]['iterations']} "
      "decodes each, a full GC before each decode (not timed).")
    w("")
    w("| decoder | median ms | min | max | MiB/s | per-process medians (ms) | Lua heap held by the result |")
    w("|---|---|---|---|---|---|---|")
    for impl, label in (("kosmo", "kosmo-lua `json.decode`"), ("cjson", "lua5.4 `cjson.decode`")):
        s = all_samples[impl]
        per = ", ".join(f"{run['ms_median']:.1f}" for run in runs[impl])
        w(f"| {label} | {json_median[impl]:.2f} | {min(s):.2f} | {max(s):.2f} | "
          f"{doc['bytes'] / 1048576 / (json_median[impl] / 1e3):.0f} | {per} | {mib(runs[impl][0]['heap_kb'])} |")
    w("")
    w(f"Time ratio kosmo-lua / cjson: **{json_ratio:.2f}x** (goal at most {JSON_GOAL:g}: {verdict(json_ratio <= JSON_GOAL)}).")
    w("")
    w("Same contents: " + ("yes, the digests (counts of tables, strings, string bytes, numbers, booleans, "
                           "nulls in arrays, and a sum of the numbers) agree"
                           if digests_agree else f"**NO, the digests differ**: {digests}") +
      ". The two results differ only where the Values table says so: kosmo-lua drops `null` object members "
      "(cjson keeps them as `cjson.null`), marks arrays with a metatable, and keeps integers as integers "
      "(cjson 2.1.0 makes every number a float).")
    w("")

    w("## 4. Peak memory (max RSS, `/usr/bin/time -v`)")
    w("")
    w("| benchmark | kosmo-lua | peer |")
    w("|---|---|---|")
    w(f"| start-up (`-e ''`) | {mib(rss(work, 'startup_kosmo'))} | lua5.4: {mib(rss(work, 'startup_lua54'))} |")
    w(f"| host calls (whole benchmark process) | KosmoBench: {mib(rss(work, 'hostcall_kosmo'))} | "
      f"lua5.4: {mib(rss(work, 'hostcall_lua54'))}; lupa (python3): {mib(rss(work, 'hostcall_lupa'))} |")
    k1, c1, k0, c0 = (rss(work, n) for n in ("json1_kosmo", "json1_cjson", "json0_kosmo", "json0_cjson"))
    w(f"| JSON: read the document only | {mib(k0)} | lua5.4: {mib(c0)} |")
    w(f"| JSON: read and decode once | {mib(k1)} (+{mib(k1 - k0)}) | lua5.4 + cjson: {mib(c1)} (+{mib(c1 - c0)}) |")
    kt = max(rss(work, f"json_kosmo_{r}") for r in rounds)
    ct = max(rss(work, f"json_cjson_{r}") for r in rounds)
    w(f"| JSON: timing runs ({runs['kosmo'][0]['iterations']} decodes) | {mib(kt)} | lua5.4 + cjson: {mib(ct)} |")
    w("")

    if notes and notes.exists():
        w(notes.read_text().rstrip())
        w("")

    out_path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()

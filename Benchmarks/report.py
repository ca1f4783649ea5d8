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
LUPA_GOAL = 5.0           # a host call at least 5x cheaper than lupa's Lua -> Python call
PY_STARTUP_GOAL = 50.0    # start-up at least 50x faster than python3 -c "import replicate"
GET_GOAL = 3.0            # 1,000 get_prediction at least 3x faster than the Python client
FANOUT_GOAL_S = 1.3       # 100 one-second runs at concurrency 100 within 1.3 s of wall time
STREAM_GOAL_MS = 2.0      # token written by the server -> Lua loop, median at most 2 ms
CHECK_GOAL_US = 20.0      # the model-input check adds at most 20 µs of CPU to a run of a cached model


def load_env(path: Path) -> dict:
    env = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


def out(work: Path, name: str) -> dict:
    return json.loads((work / f"{name}.out").read_text())


def out_text(work: Path, name: str) -> str:
    return (work / f"{name}.out").read_text().strip()


def rss(work: Path, name: str) -> int:
    """Peak resident set size in KiB."""
    return int((work / f"{name}.rss").read_text().strip())


def wall(work: Path, name: str) -> float:
    """Wall time in seconds, from /usr/bin/time -v."""
    return float((work / f"{name}.wall").read_text().strip())


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def header(w, *cells: str) -> None:
    """A Markdown table's header row and its rule."""
    w("| " + " | ".join(cells) + " |")
    w("|" + "---|" * len(cells))


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

    # --- start-up vs the Python client's import
    py_start = json.loads((work / "startup_python.json").read_text())["results"][0]
    py_startup_ratio = py_start["median"] / k["median"]
    lupa_ratio = lupa_call["ns_median"] / swift_noop["ns_median"]

    # --- 1,000 get_prediction
    get = {r["command"]: r for r in json.loads((work / "get.json").read_text())["results"]}
    get_n = int(out_text(work, "get_kosmo"))
    get_calls = {c: get[c]["median"] - get[f"{c}-0"]["median"] for c in ("kosmo-lua", "python")}
    get_ratio = get_calls["python"] / get_calls["kosmo-lua"]
    get_total_ratio = get["python"]["median"] / get["kosmo-lua"]["median"]

    # --- fan-out
    fan_rounds = sorted(int(p.stem.rsplit("_", 1)[1]) for p in work.glob("fanout_kosmo_*.wall"))
    fan_kosmo = [wall(work, f"fanout_kosmo_{r}") for r in fan_rounds]
    fan_python = [wall(work, f"fanout_python_{r}") for r in fan_rounds]
    fan_python_gather = [out(work, f"fanout_python_{r}")["gather_s"] for r in fan_rounds]
    fan_n = out(work, f"fanout_python_{fan_rounds[0]}")["n"]
    fan_k, fan_pg, fan_p = (statistics.median(x) for x in (fan_kosmo, fan_python_gather, fan_python))
    fan_met = fan_k <= FANOUT_GOAL_S and fan_k < fan_pg

    # --- streaming
    st_rounds = sorted(int(p.stem.rsplit("_", 1)[1]) for p in work.glob("stream_kosmo_*.json"))
    st = {c: [json.loads((work / f"stream_{c}_{r}.json").read_text()) for r in st_rounds] for c in ("kosmo", "python")}
    st_samples = {c: [x for run in st[c] for x in run["samples_ms"]] for c in st}
    st_median = {c: statistics.median(st_samples[c]) for c in st}
    st_p90 = {c: statistics.quantiles(st_samples[c], n=10)[-1] for c in st}
    st_first = {c: statistics.median(run["first_ms"] for run in st[c]) for c in st}

    w("# kosmo-lua benchmarks")
    w("")
    w(f"Written by `make bench` (`bash Benchmarks/run.sh`) on {env['date']}, all numbers from that one run "
      f"(kosmo-lua at commit {env['commit']}). How to read this: `Benchmarks/README.md`.")
    w("")
    # --- the model-input check
    # check_1.out, check_2.out, …: the whole-run processes (check_alone_N.out are the others).
    check_rounds = sorted(int(p.stem[len("check_"):]) for p in work.glob("check_*.out") if p.stem[len("check_"):].isdigit())
    checks = [out(work, f"check_{r}") for r in check_rounds]
    check_run_added = statistics.median(c["checked_cpu_us"] - c["unchecked_cpu_us"] for c in checks)
    # The goal is judged on the check alone: inside whole runs its cost is smaller than the
    # spread between processes, so those figures are shown beside it, not judged.
    alones = [out(work, f"check_alone_{r}") for r in check_rounds]
    check_added = statistics.median(c["checked_cpu_us"] - c["unchecked_cpu_us"] for c in alones)
    first = json.loads((work / "check_first.json").read_text())

    w("## Goals")
    w("")
    header(w, "benchmark", "goal", "measured", "result")
    w(f"| start-up, `kosmo-lua -e ''` vs `lua5.4 -e ''` | at most {STARTUP_GOAL:g}x | "
      f"{startup_ratio:.2f}x ({k['median'] * 1e3:.2f} ms vs {l['median'] * 1e3:.2f} ms) | {verdict(startup_ratio <= STARTUP_GOAL)} |")
    w(f"| Lua → Swift host function → Lua | at most {HOSTCALL_GOAL_NS:g} ns a call | "
      f"{swift_noop['ns_median']:.1f} ns ({swift_noop['ns_median'] / c_ns:.2f}x a C call in lua5.4) | "
      f"{verdict(swift_noop['ns_median'] <= HOSTCALL_GOAL_NS)} |")
    w(f"| {doc['bytes'] / 1048576:.1f} MiB JSON → Lua tables vs `cjson.decode` | at least as fast (time ratio ≤ {JSON_GOAL:g}) | "
      f"{json_ratio:.2f}x cjson's time ({json_median['kosmo']:.1f} ms vs {json_median['cjson']:.1f} ms) | "
      f"{verdict(json_ratio <= JSON_GOAL)} |")
    w(f"| start-up vs `python3 -c \"import replicate\"` | at least {PY_STARTUP_GOAL:g}x faster | "
      f"{py_startup_ratio:.1f}x ({k['median'] * 1e3:.2f} ms vs {py_start['median'] * 1e3:.0f} ms) | "
      f"{verdict(py_startup_ratio >= PY_STARTUP_GOAL)} |")
    w(f"| host call vs lupa's Lua → Python call | at least {LUPA_GOAL:g}x cheaper | "
      f"{lupa_ratio:.2f}x ({swift_noop['ns_median']:.1f} ns vs {lupa_call['ns_median']:.1f} ns) | {verdict(lupa_ratio >= LUPA_GOAL)} |")
    w(f"| {get_n:,} sequential `get_prediction` vs the Python client | at least {GET_GOAL:g}x faster | "
      f"{get_ratio:.2f}x ({get_calls['kosmo-lua'] * 1e3:.0f} ms vs {get_calls['python'] * 1e3:.0f} ms for the calls; "
      f"whole processes {get_total_ratio:.2f}x) | {verdict(get_ratio >= GET_GOAL)} |")
    w(f"| fan-out: {fan_n} one-second runs, concurrency {fan_n} | at most {FANOUT_GOAL_S:g} s wall and ahead of Python's "
      f"`asyncio.gather` | {fan_k:.2f} s (whole process) vs Python {fan_pg:.2f} s (gather alone; {fan_p:.2f} s whole process) | "
      f"{verdict(fan_met)} |")
    w(f"| streaming: token written by the server → Lua loop | median at most {STREAM_GOAL_MS:g} ms | "
      f"{st_median['kosmo']:.3f} ms (p90 {st_p90['kosmo']:.3f} ms; Python client {st_median['python']:.3f} ms) | "
      f"{verdict(st_median['kosmo'] <= STREAM_GOAL_MS)} |")
    w(f"| model-input check on a run of a cached model | at most {CHECK_GOAL_US:g} µs of CPU added | "
      f"{check_added:+.1f} µs (the check alone; {check_run_added:+.1f} µs in whole runs, within their noise) | "
      f"{verdict(check_added <= CHECK_GOAL_US)} |")
    w("")

    w("## Machine and versions")
    w("")
    header(w, "", "")
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
    w(f"| replicate (Python) | {env.get('replicate_py', '?')} (httpx {env.get('httpx', '?')}) |")
    w("")
    w("Times in Lua loops are CPU time (`os.clock`), so other processes on a shared machine disturb them "
      "less than wall time; start-up is wall time (hyperfine). Every figure is a median of repeated runs.")
    w("")

    w("## 1. Start-up")
    w("")
    w(f"`hyperfine -N --warmup 20 --runs {k['times'].__len__()}`, wall time per run:")
    w("")
    header(w, "command", "median", "mean ± σ", "min", "max", "peak RSS")
    for name, r, rss_name in (("kosmo-lua -e ''", k, "startup_kosmo"), ("lua5.4 -e ''", l, "startup_lua54")):
        w(f"| `{name}` | {r['median'] * 1e3:.2f} ms | {r['mean'] * 1e3:.2f} ± {r['stddev'] * 1e3:.2f} ms | "
          f"{r['min'] * 1e3:.2f} ms | {r['max'] * 1e3:.2f} ms | {mib(rss(work, rss_name))} |")
    w("")
    w(f"Ratio of medians: **{startup_ratio:.2f}x** (goal at most {STARTUP_GOAL:g}x: {verdict(startup_ratio <= STARTUP_GOAL)}).")
    w("")
    w(f"Against the official Python client's import (`hyperfine -N --warmup 3 --runs {len(py_start['times'])}`): "
      f"`python3 -c \"import replicate\"` median {py_start['median'] * 1e3:.1f} ms "
      f"(mean {py_start['mean'] * 1e3:.1f} ± {py_start['stddev'] * 1e3:.1f} ms, min {py_start['min'] * 1e3:.1f} ms), "
      f"peak RSS {mib(rss(work, 'startup_python'))}. kosmo-lua starts **{py_startup_ratio:.1f}x** faster "
      f"(goal at least {PY_STARTUP_GOAL:g}x: {verdict(py_startup_ratio >= PY_STARTUP_GOAL)}).")
    w("")

    w("## 2. Host-call overhead")
    w("")
    w("Every runtime runs the same Lua loop (`Benchmarks/hostcall.lua`: `for _ = 1, n do f(s) end`, "
      "`s` a one-character string), minus an empty loop of the same length; median of "
      f"{lua_call['reps']} loops. kosmo-lua and lua5.4: n = {lua_call['n']:,}; lupa: n = {lupa_call['n']:,}.")
    w("")
    header(w, "runtime", "function `f`", "median ns/call", "min", "max", "vs C call in lua5.4", "peak RSS")
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
    header(w, "decoder", "median ms", "min", "max", "MiB/s", "per-process medians (ms)", "Lua heap held by the result")
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

    w("## 4. Sequential calls: `get_prediction` against the simulator")
    w("")
    w(f"One `kosmo-lua sim` (release build, rate limits off) on loopback; one prediction; each client then fetches it "
      f"{get_n:,} times in a row in one process (`Benchmarks/client/get_prediction.lua` with `REPLICATE_URL`, "
      "`Benchmarks/client/get_prediction.py` with `REPLICATE_BASE_URL`; both keep the connection alive). "
      f"`hyperfine -N --runs {len(get['kosmo-lua']['times'])}`; each client also runs with N = 0 (start-up, import, "
      "client set-up), and the difference of the medians is the time of the calls.")
    w("")
    w("| client | N = " + f"{get_n:,}" + " (median) | N = 0 (median) | the calls | per call | peak RSS |")
    w("|---|---|---|---|---|---|")
    for c, label, rss_name in (("kosmo-lua", "kosmo-lua `replicate.get_prediction`", "get_kosmo"),
                               ("python", "replicate 1.0.7 `replicate.predictions.get`", "get_python")):
        w(f"| {label} | {get[c]['median'] * 1e3:.0f} ms | {get[c + '-0']['median'] * 1e3:.0f} ms | "
          f"{get_calls[c] * 1e3:.0f} ms | {get_calls[c] / get_n * 1e6:.0f} µs | {mib(rss(work, rss_name))} |")
    w("")
    w(f"kosmo-lua is **{get_ratio:.2f}x** faster on the calls (goal at least {GET_GOAL:g}x: {verdict(get_ratio >= GET_GOAL)}); "
      f"{get_total_ratio:.2f}x on the whole processes. Both clients and the simulator share the machine's "
      f"{env['nproc']} cores, so each call's time includes the simulator answering it.")
    w("")

    w("## 5. Fan-out: concurrent runs")
    w("")
    w(f"{fan_n} runs of `sim/slow` with `{{seconds = 1}}` started at once against the same simulator "
      f"(`sim/slow` takes one second; the runs use `Prefer: wait`). kosmo-lua: `replicate.map(items, function() "
      f"return replicate.run(\"sim/slow\", {{seconds = 1}}) end, {{concurrency = {fan_n}}})` "
      "(`Benchmarks/client/fanout.lua`), timed as the whole process (start-up included). Python: "
      "`asyncio.gather` over `replicate.async_run` (`Benchmarks/client/fanout.py`), timed both around the "
      f"`gather` alone and as the whole process. {len(fan_rounds)} processes each, alternating; medians.")
    w("")
    header(w, "client", "wall time (median)", "all runs", "peak RSS")
    w(f"| kosmo-lua `replicate.map` + `replicate.run` (whole process) | {fan_k:.2f} s | "
      f"{', '.join(f'{x:.2f}' for x in fan_kosmo)} s | {mib(max(rss(work, f'fanout_kosmo_{r}') for r in fan_rounds))} |")
    w(f"| Python `asyncio.gather` + `async_run` (gather alone) | {fan_pg:.2f} s | "
      f"{', '.join(f'{x:.2f}' for x in fan_python_gather)} s | |")
    w(f"| Python (whole process) | {fan_p:.2f} s | {', '.join(f'{x:.2f}' for x in fan_python)} s | "
      f"{mib(max(rss(work, f'fanout_python_{r}') for r in fan_rounds))} |")
    w("")
    w(f"kosmo-lua: **{fan_k:.2f} s** for {fan_n} one-second runs (goal at most {FANOUT_GOAL_S:g} s and ahead of Python: "
      f"{verdict(fan_met)}; Python's gather alone took {fan_pg:.2f} s).")
    w("")

    w("## 6. Streaming latency")
    w("")
    w(f"Time from the server writing an `output` event to the client's loop receiving it "
      f"(`Benchmarks/client/stream_latency.py`; method in `Benchmarks/README.md`): {len(st_rounds)} streamed runs per "
      f"client, alternating, {st['kosmo'][0]['tokens']} tokens each, {st['kosmo'][0]['interval_ms']:g} ms apart. "
      "Both clocks are CLOCK_MONOTONIC; the figure includes the client writing the token to a pipe and the "
      "harness reading it, so it is an upper bound. The first token of each run (connection set-up) is "
      "reported apart.")
    w("")
    header(w, "client", "median", "p90", "min", "max", "first token (median of runs)", "tokens", "peak RSS")
    for c, label in (("kosmo", "kosmo-lua `for event in replicate.stream(…)`"), ("python", "replicate 1.0.7 `for event in replicate.stream(…)`")):
        xs = st_samples[c]
        w(f"| {label} | {st_median[c]:.3f} ms | {st_p90[c]:.3f} ms | {min(xs):.3f} ms | {max(xs):.3f} ms | "
          f"{st_first[c]:.2f} ms | {len(xs) + len(st[c])} | {mib(max(rss(work, f'stream_{c}_{r}') for r in st_rounds))} |")
    w("")
    w(f"kosmo-lua median: **{st_median['kosmo']:.3f} ms** (goal at most {STREAM_GOAL_MS:g} ms: "
      f"{verdict(st_median['kosmo'] <= STREAM_GOAL_MS)}).")
    w("")

    w("## 8. The model-input check")
    w("")
    w(f"`Benchmarks/client/input_check.lua`, two measures, each in {len(check_rounds)} processes; blocks with the check "
      "and with `validate = false` alternate. CPU is `os.clock()`, the whole process.")
    w("")
    w(f"**The check alone.** {alones[0]['runs']:,} `replicate.run` calls of `stability-ai/sdxl` (seven inputs given, "
      "one checked against its choices), its model and schema already looked up, in a process run with "
      "`--max-predictions 0`: each call passes every stage up to the budget (arguments, the catalog's checks, the "
      "input check, authorization) and is refused there, before any request. The difference is the input check "
      "alone: the directory hit and `ModelInterface.problems`.")
    w("")
    def check_table(measures, unit, digits):
        header(w, "process", f"CPU per {unit}, checked", f"CPU per {unit}, validate = false", "difference")
        for r, c in zip(check_rounds, measures):
            w(f"| {r} | {c['checked_cpu_us']:.{digits}f} µs | {c['unchecked_cpu_us']:.{digits}f} µs | "
              f"{c['checked_cpu_us'] - c['unchecked_cpu_us']:+.{digits}f} µs |")
        w("")

    check_table(alones, "call", 2)
    w(f"Median added: **{check_added:+.2f} µs** of CPU a call (goal at most {CHECK_GOAL_US:g} µs: {verdict(check_added <= CHECK_GOAL_US)}).")
    w("")
    w(f"**Whole runs.** {checks[0]['runs']:,} `replicate.run` calls of `replicate/hello-world` by version in each "
      "process, each a create and its answer from the simulator. The check's cost is smaller than the spread "
      "between processes here, so these figures are context, not the verdict.")
    w("")
    check_table(checks, "run", 1)
    w(f"Median difference: {check_run_added:+.1f} µs a run.")
    w("")
    lookups = [r for r in first["checked"] if r.startswith("GET ")]
    extra = [r for r in first["checked"] if r not in first["unchecked"]]
    w(f"The first run of `black-forest-labs/flux-schnell` in a fresh process sends {len(first['checked'])} requests "
      f"({', '.join(f'`{r}`' for r in first['checked'])}): {len(lookups)} lookup before the create, which gives both the "
      f"route (official or not) and the schema; with `validate = false` it sends {len(first['unchecked'])}, so the check "
      f"itself adds {len(extra)} request{'' if len(extra) == 1 else 's'}.")
    w("")

    w("## 7. Peak memory (max RSS, `/usr/bin/time -v`)")
    w("")
    header(w, "benchmark", "kosmo-lua", "peer")
    w(f"| start-up (`-e ''`) | {mib(rss(work, 'startup_kosmo'))} | lua5.4: {mib(rss(work, 'startup_lua54'))} |")
    w(f"| host calls (whole benchmark process) | KosmoBench: {mib(rss(work, 'hostcall_kosmo'))} | "
      f"lua5.4: {mib(rss(work, 'hostcall_lua54'))}; lupa (python3): {mib(rss(work, 'hostcall_lupa'))} |")
    k1, c1, k0, c0 = (rss(work, n) for n in ("json1_kosmo", "json1_cjson", "json0_kosmo", "json0_cjson"))
    w(f"| JSON: read the document only | {mib(k0)} | lua5.4: {mib(c0)} |")
    w(f"| JSON: read and decode once | {mib(k1)} (+{mib(k1 - k0)}) | lua5.4 + cjson: {mib(c1)} (+{mib(c1 - c0)}) |")
    kt = max(rss(work, f"json_kosmo_{r}") for r in rounds)
    ct = max(rss(work, f"json_cjson_{r}") for r in rounds)
    w(f"| JSON: timing runs ({runs['kosmo'][0]['iterations']} decodes) | {mib(kt)} | lua5.4 + cjson: {mib(ct)} |")
    w(f"| start-up vs the Python client | {mib(rss(work, 'startup_kosmo'))} | `python3 -c \"import replicate\"`: {mib(rss(work, 'startup_python'))} |")
    w(f"| {get_n:,} `get_prediction` | {mib(rss(work, 'get_kosmo'))} | Python client: {mib(rss(work, 'get_python'))} |")
    w(f"| fan-out, {fan_n} runs | {mib(max(rss(work, f'fanout_kosmo_{r}') for r in fan_rounds))} | "
      f"Python client: {mib(max(rss(work, f'fanout_python_{r}') for r in fan_rounds))} |")
    w(f"| streaming | {mib(max(rss(work, f'stream_kosmo_{r}') for r in st_rounds))} | "
      f"Python client: {mib(max(rss(work, f'stream_python_{r}') for r in st_rounds))} |")
    w(f"| the simulator serving sections 4-5 (`kosmo-lua sim`, VmHWM) | {mib(rss(work, 'sim'))} | |")
    w("")

    if notes and notes.exists():
        w(notes.read_text().rstrip())
        w("")

    out_path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()

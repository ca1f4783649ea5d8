"""Host-call peer: lupa's Lua -> Python call, through the same Lua loop (Benchmarks/hostcall.lua).

usage: python3 hostcall_lupa.py HOSTCALL_LUA N REPS   (prints one JSON object)
Uses lupa's Lua 5.4 runtime (lupa.lua54) so the Lua side matches lua5.4 and kosmo-lua.
"""
import json
import sys

try:
    import lupa
    from lupa import lua54
except ImportError:
    sys.exit("hostcall_lupa.py: missing Python package 'lupa' (pip install lupa)")


def noop(_arg):
    return None


def main() -> None:
    path, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lua = lua54.LuaRuntime()
    with open(path, encoding="utf-8") as f:
        measure = lua.execute(f.read())
    lua.globals().noop = noop
    lua.globals().measure = measure
    median, lo, hi = lua.eval(f"measure(noop, {n}, {reps})")
    print(json.dumps({
        "runtime": f"lupa {lupa.__version__} (Lua {'.'.join(map(str, lua.lua_version))})",
        "function": "Python no-op",
        "n": n, "reps": reps, "ns_median": median, "ns_min": lo, "ns_max": hi,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Puts two benchmark reports side by side: the Goals table of each (written by run.sh for two
builds in one `compare.sh` run), kosmo-lua's own figure per benchmark, and the change.

usage: python3 Benchmarks/compare.py OUT.md BEFORE_LABEL AFTER_LABEL --before B1.md … --after A1.md …

Each build's figure is the median over its reports (rounds that alternated with the other build's).
"""
import re
import statistics
import sys

UNITS = {"ns": 1e-9, "ms": 1e-3, "s": 1.0}
FIGURE = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?) (ns|ms|s)\b")


def goals(path):
    """Rows of the Goals table: benchmark -> (kosmo-lua's figure in seconds, its text, measured)."""
    rows, inside = {}, False
    for line in open(path, encoding="utf-8"):
        if line.startswith("## Goals"):
            inside = True
            continue
        if inside and line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not inside or len(cells) < 4 or cells[0] in ("benchmark", "---"):
            continue
        match = FIGURE.search(cells[2])
        if match:
            value = float(match.group(1).replace(",", "")) * UNITS[match.group(2)]
            rows[cells[0]] = (value, f"{match.group(1)} {match.group(2)}", cells[2])
    return rows


def medians(paths):
    """benchmark -> (median figure in seconds, its text, the per-round texts)."""
    rounds = [goals(p) for p in paths]
    out = {}
    for name in rounds[0]:
        values = [r[name] for r in rounds if name in r]
        middle = statistics.median(v[0] for v in values)
        unit = values[0][1].split()[-1]
        text = f"{middle / UNITS[unit]:.3g} {unit}"
        out[name] = (middle, text, ", ".join(v[1] for v in values))
    return out


def main():
    out_path, before_label, after_label = sys.argv[1:4]
    rest = sys.argv[4:]
    split = rest.index("--after")
    before_paths, after_paths = rest[1:split], rest[split + 1:]
    before, after = medians(before_paths), medians(after_paths)
    lines = [
        "# kosmo-lua benchmarks: two builds side by side",
        "",
        f"Written by `Benchmarks/compare.sh`: `Benchmarks/run.sh` ran {len(before_paths)} times for {before_label} and "
        f"{len(after_paths)} times for {after_label}, alternating, on the same machine in one run; each figure is "
        "kosmo-lua's own (time, so lower is better) from each report's Goals table, the median of the rounds "
        "(every round's figure in brackets). The reports: `before-N.md` and `after-N.md` in this folder.",
        "",
        f"| benchmark | {before_label} | {after_label} | change | more than 10% worse? |",
        "|---|---|---|---|---|",
    ]
    worse = []
    for name, (value, text, rounds) in after.items():
        if name not in before:
            continue
        old, old_text, old_rounds = before[name]
        change = (value - old) / old * 100 if old else 0.0
        if change > 10:
            worse.append(name)
        lines.append(f"| {name} | {old_text} ({old_rounds}) | {text} ({rounds}) | {change:+.1f}% | {'**yes**' if change > 10 else 'no'} |")
    lines += ["", f"Figures more than 10% worse: {', '.join(worse) if worse else 'none'}.", ""]
    open(out_path, "w", encoding="utf-8").write("\n".join(lines))
    print("\n".join(lines))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())

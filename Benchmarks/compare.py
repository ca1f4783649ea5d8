#!/usr/bin/env python3
"""Puts two benchmark reports side by side: the Goals table of each (written by run.sh for two
builds in one `compare.sh` run), kosmo-lua's own figure per benchmark, and the change.

usage: python3 Benchmarks/compare.py BEFORE.md AFTER.md OUT.md BEFORE_LABEL AFTER_LABEL
"""
import re
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


def main():
    before_path, after_path, out_path, before_label, after_label = sys.argv[1:6]
    before, after = goals(before_path), goals(after_path)
    lines = [
        "# kosmo-lua benchmarks: two builds side by side",
        "",
        f"Written by `Benchmarks/compare.sh`: `Benchmarks/run.sh` ran for {before_label} and then for "
        f"{after_label} on the same machine in one run; each figure is kosmo-lua's own (time, so lower is "
        "better), taken from each report's Goals table. The full reports: "
        f"`{before_path.split('/')[-1]}` and `{after_path.split('/')[-1]}` in this folder.",
        "",
        f"| benchmark | {before_label} | {after_label} | change | more than 10% worse? |",
        "|---|---|---|---|---|",
    ]
    worse = []
    for name, (value, text, _) in after.items():
        if name not in before:
            continue
        old, old_text, _ = before[name]
        change = (value - old) / old * 100 if old else 0.0
        flag = "**yes**" if change > 10 else "no"
        if change > 10:
            worse.append(name)
        lines.append(f"| {name} | {old_text} | {text} | {change:+.1f}% | {flag} |")
    lines += ["", f"Figures more than 10% worse: {', '.join(worse) if worse else 'none'}.", ""]
    open(out_path, "w", encoding="utf-8").write("\n".join(lines))
    print("\n".join(lines))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())

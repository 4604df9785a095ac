#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Decode GB/s against KV cache length, from an mha_bench table, as an SVG (no matplotlib needed)
and a Markdown table on stdout.

    build/bench/mha_bench --suite general --dtype f32,bf16,f16 \\
        --decode 1024,2048,4096,8192,16384,32768 > run.txt
    /usr/bin/python3 bench/decode_plot.py run.txt --out docs/decode.svg

Reads the `general decode` rows (one query row, 32 query heads over 8 kv heads of 128) of each
storage type and the run's `ceiling memcpy` rate, drawn as a dashed line: the rates are bytes of K
and V read per call over the median (each run cold: the bench flushes the caches first), the
memcpy rate that of the same run.
"""

import argparse
import math
import sys
from pathlib import Path

COLORS = {"f32": "#1f77b4", "bf16": "#ff7f0e", "f16": "#2ca02c", "f64": "#d62728"}


def parse(lines):
    """(memcpy GB/s, {dtype: [(seq_kv, GB/s, %copy, tok/s)]}) from an mha_bench table."""
    header, copy, series = None, None, {}
    for line in lines:
        cells = line.split()
        if not cells or line.startswith("#"):
            continue
        if cells[0] == "suite":
            header = cells
            continue
        if header is None or len(cells) < len(header):
            continue
        row = dict(zip(header, cells))
        if row["suite"] == "ceiling" and row["op"] == "memcpy":
            copy = float(row["GB/s"])
        elif row["suite"] == "general" and row["op"] == "decode":
            series.setdefault(row["dtype"], []).append(
                (int(row["seq_kv"]), float(row["GB/s"]), row["%copy"], row.get("tok/s", "-")))
    return copy, series


def svg(copy, series, width=640, height=400):
    left, right, top, bottom = 60, 110, 30, 50
    xs = sorted({kv for pts in series.values() for kv, *_ in pts})
    ymax = max([copy or 0] + [g for pts in series.values() for _, g, *_ in pts]) * 1.15
    lx0, lx1 = math.log2(xs[0]), math.log2(xs[-1]) if xs[-1] > xs[0] else math.log2(xs[0]) + 1

    def px(kv):
        return left + (math.log2(kv) - lx0) / (lx1 - lx0) * (width - left - right)

    def py(g):
        return height - bottom - g / ymax * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="18" text-anchor="middle">mha_attention decode, 32/8 heads '
           f'of 128, 1 query row, cold cache: GB/s of K and V read</text>']
    x0, x1, y0 = left, width - right, height - bottom
    out.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="black"/>')
    out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{top}" stroke="black"/>')
    for kv in xs:
        out.append(f'<text x="{px(kv):.1f}" y="{y0 + 16}" text-anchor="middle">{kv}</text>')
    out.append(f'<text x="{(x0 + x1) / 2}" y="{height - 12}" text-anchor="middle">'
               f'KV cache length (keys)</text>')
    step = 5 if ymax > 20 else 2
    for g in range(0, int(ymax) + 1, step):
        out.append(f'<text x="{x0 - 6}" y="{py(g) + 4:.1f}" text-anchor="end">{g}</text>')
        out.append(f'<line x1="{x0}" y1="{py(g):.1f}" x2="{x1}" y2="{py(g):.1f}" '
                   f'stroke="#ddd"/>')
    out.append(f'<text transform="translate(16,{(top + y0) / 2}) rotate(-90)" '
               f'text-anchor="middle">GB/s</text>')
    legend = 0
    if copy:
        out.append(f'<line x1="{x0}" y1="{py(copy):.1f}" x2="{x1}" y2="{py(copy):.1f}" '
                   f'stroke="black" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{x1 + 6}" y="{py(copy) + 4:.1f}">memcpy</text>')
    for dtype, pts in series.items():
        pts = sorted(pts)
        color = COLORS.get(dtype, "black")
        path = " ".join(f"{px(kv):.1f},{py(g):.1f}" for kv, g, *_ in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for kv, g, *_ in pts:
            out.append(f'<circle cx="{px(kv):.1f}" cy="{py(g):.1f}" r="3" fill="{color}"/>')
        out.append(f'<text x="{x1 + 6}" y="{top + 14 + 16 * legend}" fill="{color}">'
                   f'{dtype} cache</text>')
        legend += 1
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("table", type=Path)
    p.add_argument("--out", type=Path, default=Path("decode.svg"))
    p.add_argument("--dtypes", default=None, help="comma-separated cache types to draw (all)")
    a = p.parse_args(argv)
    copy, series = parse(a.table.read_text().splitlines())
    if a.dtypes:
        series = {t: pts for t, pts in series.items() if t in a.dtypes.split(",")}
    if not series:
        sys.exit("decode_plot.py: no 'general decode' rows in " + str(a.table))
    a.out.write_text(svg(copy, series))
    print(f"| cache | seq_kv | GB/s | % of memcpy ({copy} GB/s) | tok/s (32 layers) |")
    print("|---|---:|---:|---:|---:|")
    for dtype, pts in series.items():
        for kv, g, pct, tok in sorted(pts):
            print(f"| {dtype} | {kv} | {g} | {pct} | {tok} |")


if __name__ == "__main__":
    main(sys.argv[1:])

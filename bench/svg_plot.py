"""The picture README shows for bench/call-bench.py: relayed packets/s and p99 added
one-way latency against concurrent calls, the gateway's and the floor's (bench/udp_relay),
as a dependency-free SVG. Run alone, it redraws one from the rows call-bench.py saved."""

import html
import json
import math
import sys

WIDTH, HEIGHT = 790, 396
PANEL_W, PANEL_H = 300, 240
LEFT, TOP = 70, 50
GAP = 80
COLOURS = {"gateway": "#1f77b4", "floor": "#ff7f0e", "stalls": "#999999", "unheld": "#2ca02c"}


def _nice_max(value):
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _panel(x0, title, unit, series, max_calls, cap=None):
    """cap: the axis stops there; points above it sit on the top edge, marked as off scale."""
    top = max(v for points in series.values() for _, v in points)
    y_max = _nice_max(top * 1.05)
    if cap and y_max > cap:
        y_max = cap
    out = [f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 22}" text-anchor="middle" font-size="14">{title}</text>',
           f'<rect x="{x0}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#888"/>']
    for i in range(5):
        value = y_max * i / 4
        y = TOP + PANEL_H - PANEL_H * i / 4
        out.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + PANEL_W}" y2="{y}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4}" text-anchor="end" font-size="11">{value:,.0f}</text>')
    for i in range(5):
        calls = max_calls * i / 4
        x = x0 + PANEL_W * i / 4
        out.append(f'<text x="{x}" y="{TOP + PANEL_H + 16}" text-anchor="middle" font-size="11">{calls:,.0f}</text>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP + PANEL_H + 34}" text-anchor="middle" font-size="12">'
               f'concurrent calls</text>')
    out.append(f'<text x="{x0 - 52}" y="{TOP + PANEL_H / 2}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 {x0 - 52} {TOP + PANEL_H / 2})">{unit}</text>')
    for rank, (name, points) in enumerate(series.items()):
        coords = [(x0 + PANEL_W * c / max_calls, TOP + PANEL_H - PANEL_H * min(v, y_max) / y_max) for c, v in points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[name]}" stroke-width="2"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[name]}"/>' for x, y in coords)
        out.extend(f'<text x="{x:.1f}" y="{TOP - 2 - 10 * rank}" text-anchor="middle" font-size="9" '
                   f'fill="{COLOURS[name]}">{v / 1000:,.0f} ms</text>'
                   for (x, _), (_, v) in zip(coords, points) if v > y_max)
    return out


def write_plot(path, rows, subtitle):
    """rows: call-bench results, each with calls, relayed, floor_relayed, p99_added_us, floor_p99_added_us,
    (with --pin) stall_p99_wait_us: the p99 wait the relay CPU's own stalls impose, and
    p99_unheld_added_us: the gateway's added p99 over the packets that no gap held."""
    rows = sorted(rows, key=lambda row: row["calls"])
    max_calls = _nice_max(max(row["calls"] for row in rows))
    rate = {"gateway": [(r["calls"], r["relayed"]) for r in rows],
            "floor": [(r["calls"], r["floor_relayed"]) for r in rows]}
    latency = {"gateway": [(r["calls"], max(0, r["p99_added_us"])) for r in rows],
               "floor": [(r["calls"], max(0, r["floor_p99_added_us"])) for r in rows]}
    if all(r.get("stall_p99_wait_us") is not None for r in rows):
        latency["stalls"] = [(r["calls"], r["stall_p99_wait_us"]) for r in rows]
    if all(r.get("p99_unheld_added_us") is not None for r in rows):
        latency["unheld"] = [(r["calls"], max(0, r["p99_unheld_added_us"])) for r in rows]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    parts += _panel(LEFT, "relayed packets/s", "packets/s", rate, max_calls)
    parts += _panel(LEFT + PANEL_W + GAP, "p99 added one-way latency", "microseconds", latency, max_calls,
                    cap=5000)
    legend_y = HEIGHT - 44
    legend = [("gateway", "gateway (SRTP to RTP and back)"), ("floor", "floor: bare UDP relay")]
    if "stalls" in latency:
        legend.append(("stalls", "the CPU's own stalls"))
    if "unheld" in latency:
        legend.append(("unheld", "gateway, the packets no gap over 1 ms held (delivery_gaps.hpp)"))
    x = LEFT
    for name, label in legend:
        width = 20 + 7 * len(label) + 24  # about 7 px a character at this size
        if x > LEFT and x + width > WIDTH:  # the next row
            x, legend_y = LEFT, legend_y + 16
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="14" height="4" fill="{COLOURS[name]}"/>')
        parts.append(f'<text x="{x + 20}" y="{legend_y - 5}" font-size="12">{label}</text>')
        x += width
    parts.append(f'<text x="{WIDTH - 10}" y="{HEIGHT - 8}" text-anchor="end" font-size="11" fill="#555">'
                 f'{html.escape(subtitle)}</text>')
    parts.append("</svg>")
    with open(path, "w") as out:
        out.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    # Redraws a plot from the rows call-bench.py saved beside it: svg_plot.py ROWS.json OUT.svg SUBTITLE
    with open(sys.argv[1]) as rows_file:
        write_plot(sys.argv[2], json.load(rows_file), sys.argv[3])

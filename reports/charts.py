"""Grouped and ranked bar charts (matplotlib, Agg: no display needed) saved as SVG and PNG.

Only published values are drawn: a suppressed value (None) gets no bar, only an "s" at its place,
so a chart can never show what the table hides.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless servers, CI
import matplotlib.pyplot as plt

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5")


def grouped_bars(
    stem: Path, title: str, categories: list[str], series: dict[str, list[int | None]]
) -> tuple[Path, Path]:
    """Write ``stem.svg`` and ``stem.png``; returns both paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7.0, 3.2), dpi=110)
    n = max(len(series), 1)
    width = 0.8 / n
    top = max([v for vals in series.values() for v in vals if v is not None] + [1])
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (n - 1) / 2) * width for x in range(len(categories))]
        heights = [0 if v is None else v for v in values]
        bars = ax.bar(xs, heights, width * 0.95, label=name, color=PALETTE[i % len(PALETTE)])
        for bar, v in zip(bars, values, strict=True):
            label = "s" if v is None else str(v)
            ax.annotate(
                label,
                (bar.get_x() + bar.get_width() / 2, bar.get_height() + top * 0.01),
                ha="center",
                va="bottom",
                fontsize=7,
                color="#555" if v is None else "#000",
            )
    ax.set_xticks(range(len(categories)), categories)
    ax.set_xlabel("Year of referral")
    ax.set_ylabel("Count")
    ax.set_title(title, fontsize=10)
    ax.set_ylim(0, top * 1.18)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        ax.legend(fontsize=7, frameon=False, ncols=min(len(series), 4))
    return _save(fig, stem)


def ranked_bars(
    stem: Path, title: str, labels: list[str], values: list[int | None], base: int | None
) -> tuple[Path, Path]:
    """Horizontal bars, one per category, largest first, each with its share of ``base``
    (None: no share shown); a suppressed value (None) gets no bar, only an "s"."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    order = sorted(range(len(labels)), key=lambda i: (values[i] is None, -(values[i] or 0)))
    labels, values = [labels[i] for i in order], [values[i] for i in order]
    fig, ax = plt.subplots(figsize=(7.0, 0.9 + 0.28 * max(len(labels), 1)), dpi=110)
    top = max([v for v in values if v is not None] + [1])
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, [0 if v is None else v for v in values], 0.7, color=PALETTE[0])
    for yv, v in zip(ys, values, strict=True):
        text = "s" if v is None else (f"{v} ({100 * v / base:.0f}%)" if base else str(v))
        ax.annotate(text, (0 if v is None else v, yv), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7, color="#555" if v is None else "#000")  # fmt: skip
    ax.set_yticks(ys, [_short(lab) for lab in labels], fontsize=7)
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel("Clients" + (f" (share of {base})" if base else ""))
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, stem)


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _save(fig: plt.Figure, stem: Path) -> tuple[Path, Path]:
    fig.tight_layout()
    svg, png = stem.with_suffix(".svg"), stem.with_suffix(".png")
    # a fixed hashsalt and no date: the same numbers give the same SVG bytes
    fig.savefig(svg, format="svg", metadata={"Date": None})
    fig.savefig(png, format="png")
    plt.close(fig)
    return svg, png

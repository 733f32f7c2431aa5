"""How the report writes numbers: seconds, milliseconds, counts, ratios."""

from __future__ import annotations


def fmt_s(value: float | None) -> str:
    """Seconds with three significant-ish digits; "—" when not measured."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def fmt_ms(value: float | None) -> str:
    """Milliseconds: two decimals below 10, none from 100."""
    if value is None:
        return "—"
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_n(value: float | None) -> str:
    """A count or a size, rounded, with thousands separators."""
    return "—" if value is None else f"{value:,.0f}"


def fmt_ratio(kb: float | None, other: float | None) -> str:
    """kb's time divided by the other's: below 1, kb is faster."""
    if kb is None or other is None or not kb or not other:
        return "—"
    r = kb / other
    return f"{r:.2f} (kb {1 / r:.1f}× faster)" if r < 1 else f"{r:.2f} (kb {r:.1f}× slower)"


def fmt_speedup(value: float) -> str:
    """The other's time divided by kb's, said as how many times faster (or slower) kb is."""
    return f"{value:.2f}× faster" if value >= 1 else f"{1 / value:.2f}× slower"


def fmt_tool_ms(value: float | None) -> str:
    """rg's or grep's time: None when the tool is not installed."""
    return "not installed" if value is None else fmt_ms(value)


def fmt_kb(value: float | None) -> str:
    """A size in bytes as KB with one decimal."""
    return "—" if value is None else f"{value / 1024:,.1f}"


STYLES = {"s": fmt_s, "ms": fmt_ms, "n": fmt_n, "speedup": fmt_speedup, "tool ms": fmt_tool_ms, "kb": fmt_kb}

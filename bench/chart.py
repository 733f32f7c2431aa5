"""The scaling chart: build time and query p95 against the number of records, log–log, as one SVG."""

from __future__ import annotations

import math
import sys
from xml.etree import ElementTree

from .report import size_figures

# --- the scaling chart ---------------------------------------------------------------------------

COLORS = {"kb": "#c0392b", "whoosh": "#2471a3", "fts5": "#1e8449", "rg": "#7d3c98", "grep": "#9a7d0a"}
PANELS = (  # (title, unit, lines); a line: (name, colour, dash pattern or None, figure, hollow dots)
    (
        "Full build: wall time of the whole process (median)",
        "seconds",
        (
            ("kb index --rebuild", COLORS["kb"], None, "kb_build_s", False),
            ("straightforward Whoosh (incl. Markdown rendering)", COLORS["whoosh"], "6 4", "whoosh_build_s", False),
            ("SQLite FTS5", COLORS["fts5"], "2 3", "fts5_build_s", False),
        ),
    ),
    (
        "Query: p95 in process, top 10 with highlights",
        "milliseconds",
        (
            ("kb (all query classes)", COLORS["kb"], None, "kb_q_overall_p95_ms", False),
            ("kb (worst class)", COLORS["kb"], "1 3", "kb_q_worst_p95_ms", True),
            ("straightforward Whoosh", COLORS["whoosh"], "6 4", "whoosh_q_overall_p95_ms", False),
            ("SQLite FTS5", COLORS["fts5"], "2 3", "fts5_q_overall_p95_ms", False),
            ("rg -il WORD (median wall, whole process)", COLORS["rg"], "8 3 2 3", "rg_ms", False),
            ("grep -ril WORD (median wall, whole process)", COLORS["grep"], "10 5", "grep_ms", False),
        ),
    ),
)
PANEL_WIDTH, PANEL_HEIGHT, HEADING_HEIGHT = 500, 560, 34
FONT = "Helvetica, Arial, sans-serif"
LEGEND_ROW = 18  # pygal's height of a legend row at the bottom: 1.5 × max(legend font size, legend box size)


def _import_pygal():
    import pygal

    # pygal appends an old-style import hook (for its map plugins, which the chart does not use) to
    # sys.meta_path; it has no find_spec, and every later import then warns. Take it out again.
    sys.meta_path[:] = [hook for hook in sys.meta_path if type(hook).__name__ != "PluginImportFixer"]
    from pygal.etree import etree

    # pygal draws with lxml whenever lxml is installed (python-docx brings it): its trees are then not the
    # xml.etree trees the chart uses to clean and write the SVG. Keep pygal on xml.etree.
    etree.to_etree()
    return pygal


def scaling_svg(run: dict) -> str:
    """Build time and query p95 against the number of records, log–log, as one SVG of two pygal charts
    side by side, with no script (and no link) in it."""
    pygal = _import_pygal()
    from pygal.style import Style

    figures = {int(s): size_figures(run["sizes"][s]) for s in sorted(run["sizes"], key=int)}
    xlo, xhi = _log_range([float(n) for n in figures], pad=0.12)
    rows = max(len(lines) for _, _, lines in PANELS)
    width, height = PANEL_WIDTH * len(PANELS), HEADING_HEIGHT + PANEL_HEIGHT
    root = ElementTree.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": FONT,
        },
    )
    caption = ElementTree.SubElement(root, "title")
    caption.text = "kb scaling: build time and query p95 against the number of records (log–log)"
    ElementTree.SubElement(root, "rect", {"width": str(width), "height": str(height), "fill": "white"})
    heading = ElementTree.SubElement(
        root,
        "text",
        {"x": str(width / 2), "y": "22", "text-anchor": "middle", "font-size": "15", "font-weight": "bold"},
    )
    heading.text = f"How cost grows with the number of records (log–log; {run['commit'][:12]}, {run['date']})"
    for index, (title, unit, lines) in enumerate(PANELS):
        points = [[(n, f[key]) for n, f in figures.items() if f.get(key)] for _, _, _, key, _ in lines]
        ylo, yhi = _log_range([y for line in points for _, y in line if y > 0] or [1.0], decades=True)
        decades = [10.0**e for e in range(int(ylo), int(yhi) + 1)]
        chart_id = f"scaling-{index}"
        # pygal draws its lines 1 px wide and gives the dots their line's dashes; a hollow dot is white inside
        css = f"#chart-{chart_id} .series .line {{stroke-width: 2px; stroke-opacity: 1}} "
        css += f"#chart-{chart_id} .dot {{stroke-dasharray: none}} "
        for i, line in enumerate(lines):
            if line[4]:
                css += f"#chart-{chart_id} .serie-{i} .dot, #chart-{chart_id} #activate-serie-{i} rect "
                css += "{fill: white; stroke-width: 1.5px} "
        chart = pygal.XY(
            js=[],
            css=["file://style.css", "file://graph.css", "inline:" + css],
            style=Style(
                background="white",
                plot_background="white",
                foreground="#333",
                foreground_strong="#111",
                foreground_subtle="#ccc",
                opacity="1",
                opacity_hover="1",
                colors=tuple(line[1] for line in lines),
                font_family=FONT,
                title_font_size=13,
                label_font_size=12,
                major_label_font_size=12,
                legend_font_size=12,
                guide_stroke_color="#eee",
                guide_stroke_dasharray="none",
                major_guide_stroke_color="#ccc",
                major_guide_stroke_dasharray="none",
            ),
            width=PANEL_WIDTH,
            height=PANEL_HEIGHT,
            explicit_size=True,
            logarithmic=True,
            title=title,
            x_title="records in the KB (log scale)",
            y_title=f"{unit} (log scale)",
            x_labels=list(figures),
            xrange=(10**xlo, 10**xhi),
            # a hair above the top label: pygal leaves out a y label drawn exactly at the top edge (y == 0)
            range=(10**ylo, 10**yhi * 1.001),
            y_labels=[m * d for d in decades for m in (1, 2, 5) if ylo <= math.log10(m * d) <= yhi],
            y_labels_major=decades,
            x_value_formatter=_num,
            value_formatter=_num,
            show_x_guides=True,
            show_minor_y_labels=True,
            dots_size=3.5,
            legend_at_bottom=True,
            legend_at_bottom_columns=1,
            truncate_legend=-1,
            truncate_label=-1,
            # the same plot height in both panels, whatever the number of lines in their legends
            margin_bottom=20 + (rows - len(lines)) * LEGEND_ROW,
            no_data_text="not measured",
        )
        chart.uuid = chart_id  # the id its CSS is scoped to: fixed, so that the SVG only changes with the run
        for (name, _, dash, _, _), line in zip(lines, points, strict=True):
            stroke = {"width": 2, "dasharray": dash} if dash else {"width": 2}
            chart.add(name if line else f"{name} (not measured)", line, stroke_style=stroke)
        panel = chart.render_tree()
        for parent in panel.iter():
            for child in list(parent):
                if child.tag is ElementTree.Comment or (isinstance(child.tag, str) and child.tag.endswith("script")):
                    parent.remove(child)  # pygal's comments hold links to its site; its script is for tooltips
        del panel.attrib["xmlns"]
        panel.set("x", str(index * PANEL_WIDTH))
        panel.set("y", str(HEADING_HEIGHT))
        root.append(panel)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


def _log_range(values: list[float], pad: float = 0.0, decades: bool = False) -> tuple[float, float]:
    lo, hi = math.log10(min(values)), math.log10(max(values))
    if decades:
        lo, hi = math.floor(lo), math.ceil(hi)
        if lo == hi:
            hi = lo + 1
        return lo, hi
    if hi - lo < 0.5:
        middle = (hi + lo) / 2
        lo, hi = middle - 0.5, middle + 0.5
    return lo - pad, hi + pad


def _num(value: float) -> str:
    if value >= 1000 and value == int(value) and value % 1000 == 0:
        return f"{value / 1000:g}k"
    return f"{value:g}"

"""Charts as standalone SVG documents (pygal), readable without JavaScript and with every value printed."""

from __future__ import annotations

import sys
from xml.etree import ElementTree

from kb.method.metrics import Metric
from kb.table import shown_text

WIDTH, HEIGHT = 960, 480
# A label longer than this (a long customer or owner name) is shortened with "…", the whole of it in its
# <title>: pygal makes room below the plot for the labels, and one long label would squeeze the plot away.
LABEL_CHARS = 48


def _style():
    from pygal.style import Style  # pygal only when a chart is drawn (see _import_pygal)

    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#9aa5b1",
        opacity=".9",
        opacity_hover="1",
        colors=("#2f6f9f", "#3f9c6d", "#c9822b", "#8c5fb3"),
        font_family="system-ui, sans-serif",
        title_font_size=18,
        label_font_size=12,
        major_label_font_size=12,
        value_font_size=12,
        legend_font_size=13,
    )


def _import_pygal():
    import pygal

    # pygal appends an old-style import hook (for its map plugins, which kb does not use) to
    # sys.meta_path; it has no find_spec, and every later import then warns. Take it out again.
    sys.meta_path[:] = [hook for hook in sys.meta_path if type(hook).__name__ != "PluginImportFixer"]
    from pygal.etree import etree

    # pygal draws with lxml whenever lxml is installed (python-docx brings it): its trees are then not the
    # xml.etree trees kb uses to clean and write the SVG. Keep pygal on xml.etree.
    etree.to_etree()
    return pygal


def render_svg(title: str, chart: dict) -> str:
    """Draw `chart` ({kind: line|bar, labels, series, target}) as SVG text with no script in it."""
    pygal = _import_pygal()

    kind = pygal.Line if chart["kind"] == "line" else pygal.Bar
    drawing = kind(
        js=[],
        style=_style(),
        width=WIDTH,
        height=HEIGHT,
        explicit_size=True,
        print_values=True,
        value_formatter=shown_text,  # 18,000, as the table beside it and the terminal show it
        formatter=shown_text,
        x_label_rotation=30 if chart["labels"] else 0,
        truncate_label=LABEL_CHARS,
        truncate_legend=LABEL_CHARS,
        legend_at_bottom=True,
        show_y_guides=True,
        no_data_text="No data yet",
        margin_bottom=10,
        show_minor_x_labels=True,
    )
    values = [v for _name, series in chart["series"] for v in series if v is not None]
    if values and all(isinstance(v, int) for v in values):
        # Counts: whole-number steps on the axis, never 0.2 of a customer.
        step = max(1, -(-max(values) // 8))
        drawing.y_labels = list(range(0, max(values) + step + 1, step))
    drawing.title = title
    drawing.x_labels = list(chart["labels"])
    for name, values in chart["series"]:
        drawing.add(name, list(values))
    if chart.get("target"):
        name, value = chart["target"]
        drawing.add(
            name,
            [value] * len(chart["labels"]),
            print_values=False,
            show_dots=False,
            stroke_style={"width": 2, "dasharray": "6, 4"},
        )
    tree = drawing.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.endswith("script"):
                parent.remove(child)
    return ElementTree.tostring(tree, encoding="unicode", xml_declaration=True)


def metric_svg(metric: Metric) -> str:
    """A metric's chart as a standalone SVG document, with no script in it."""
    return render_svg(metric.title, metric.chart)

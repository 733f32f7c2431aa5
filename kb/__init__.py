"""kb: a local, Markdown-first knowledge base for the case-study method."""

__version__ = "0.1.0"

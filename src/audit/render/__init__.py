"""Renderers: the pack as HTML, workbook, PDF and slides, from finished sections."""

__all__: list[str] = []

"""Renderers: the pack as HTML, workbook, PDF and slides, from finished sections."""

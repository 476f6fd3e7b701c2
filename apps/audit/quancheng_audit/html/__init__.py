"""The HTML report: one self-contained page in Chinese (inline SVG charts, inline CSS, no
script, nothing fetched) that a regulator can open offline or attach to a case file.

The verdict and counts come first; then each rule that found something, in plain Chinese
(:mod:`quancheng_audit.texts_zh`) before its technical details; then every owner and every
receipt, each with an anchor, so that a citizen's complaint can be followed; then the charts,
every rule, and what was read.
"""

from quancheng_audit.html.page import render_html

__all__ = ["render_html"]

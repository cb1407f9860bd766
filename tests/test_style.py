"""The stylesheet's focus ring stands out (WCAG 2.4.13 / 1.4.11: 3:1 or more) against every
background colour the pages use, the focused element's own included."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[1] / "idp_extension" / "static" / "css" / "site.css"


def luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def backgrounds(css: str, variables: dict[str, str]) -> set[str]:
    found = {"#ffffff"}  # the browser's own default, under everything
    for value in re.findall(r"background(?:-color)?\s*:\s*([^;}]+)", css):
        for colour in re.findall(r"#[0-9a-fA-F]{3,6}\b", value):
            found.add(colour.lower())
        for name in re.findall(r"var\((--[\w-]+)\)", value):
            found.add(variables[name])
    return found


def test_the_focus_ring_has_3_to_1_against_every_background():
    css = CSS.read_text(encoding="utf-8")
    variables = {
        name: value.lower()
        for name, value in re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", css)
    }
    outer, inner = variables["--focus"], variables["--focus-inner"]
    rule = re.search(r":focus-visible\s*\{([^}]*)\}", css).group(1)
    assert "outline: 3px solid var(--focus)" in rule and "outline-offset: 2px" in rule
    assert "box-shadow: 0 0 0 2px var(--focus-inner)" in rule  # fills the 2px gap
    # Each ring touches the other; the pair stands out if either beats 3:1 on a background.
    assert contrast(outer, inner) >= 3
    weak = {
        colour: round(max(contrast(outer, colour), contrast(inner, colour)), 2)
        for colour in backgrounds(css, variables)
        if max(contrast(outer, colour), contrast(inner, colour)) < 3
    }
    assert weak == {}, f"the focus rings {outer}/{inner} are too faint against {weak}"

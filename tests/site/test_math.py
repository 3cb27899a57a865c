"""TeX in hand-written pages becomes MathML at build time; code is left alone; bad TeX is kept, not lost."""

from rl_atlas.site.math import render_math


def test_display_and_inline_maths_become_mathml():
    out = render_math("Advantage\n\n$$\\hat A_i = \\frac{R_i - \\mu}{\\sigma}$$\n\nwith $G - 1$ in the denominator.")
    assert out.count("<math") == 2
    assert 'display="block"' in out and 'display="inline"' in out
    assert "$" not in out
    assert '<span class="math-inline">' in out  # a line starting with <math> would become an HTML block


def test_code_and_prices_are_left_alone():
    src = "Costs $5 and $6.\n\n```python\nx = '$a$'\n```\n\nInline `$b$` stays."
    assert render_math(src) == src


def test_unreadable_tex_is_kept_as_code(caplog):
    out = render_math("$$\\frac{a}{$$")
    assert "<code>" in out and "frac" in out

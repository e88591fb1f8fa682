"""The Jinja environment of the HTML outputs: templates in pipeline/templates/, autoescaped, strict.

The templates hold the words and the markup; Python hands them data (numbers, strings, lists, dicts, base64
images). Whitespace is fixed (trim_blocks, lstrip_blocks, keep_trailing_newline) so that the pages' bytes
depend on their data only.
"""

import html

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup


def _escaped(value) -> Markup:
    """Every {{ value }} escaped as html.escape does (' and " as &#x27; and &quot;), not as markupsafe does
    (&#39; and &#34;): the pages stay byte-identical to the f-string pages they replaced. Markup (a macro's
    output, or |safe) passes through, as under autoescape; |e would escape the markupsafe way: not used."""
    return value if hasattr(value, "__html__") else Markup(html.escape(str(value)))


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"  # None: an empty tier has no mean


ENV = Environment(
    loader=PackageLoader("pipeline", "templates"),
    autoescape=select_autoescape(["html.j2"]),
    finalize=_escaped,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters["fmt"] = format  # {{ n|fmt(",") }} is Python's f"{n:,}"
ENV.filters["pct"] = pct
ENV.globals["zip"] = zip


def render(name: str, **data) -> str:
    return ENV.get_template(name).render(**data)

"""HTML the service writes to files (packets, reports): every value escaped, no script can run.

- Autoescaping is on for every template, explicitly (``select_autoescape()`` only matches names
  ending in ``.html``/``.xml``, and ours end in ``.html.j2``: it left agency text unescaped).
- Every page carries ``CSP``: nothing may load or run but its own inline styles and ``data:``
  images (the charts), so even text that slipped past escaping could not execute or call out.
- Charts go in as ``<img src="data:image/svg+xml;base64,...">``: an SVG shown as an image never
  runs script, whatever labels it carries.
"""

from __future__ import annotations

import base64

from jinja2 import Environment, PackageLoader

#: no script, no connection, no frame, no form target; inline <style> and data: images only
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; object-src 'none'"
)


def html_environment(package: str) -> Environment:
    """The Jinja environment for ``<package>/templates``: autoescape on for every template."""
    env = Environment(loader=PackageLoader(package, "templates"), autoescape=True)
    env.globals["csp"] = CSP
    return env


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")

"""mkdocs hooks: generate the catalog pages in memory at build time.

on_files          load the catalog ($RL_ATLAS_CATALOG, else ./catalog), add every generated page and asset as a
                  virtual file (paper pages marked not-in-nav) and set the nav to the pages that exist; stop the
                  build, with the same messages as `rl-atlas validate`, if the loader refuses a file (CAT021-CAT028)
on_page_markdown  fill the `<!-- atlas:NAME -->` markers of hand-written pages (home counts, schema reference),
                  turn their TeX maths into MathML (rl_atlas/site/math.py) and give each page what it tells the
                  search index (`page.meta["search"]`, rl_atlas/site/search.py)
on_post_build     index the built site for search with Pagefind (rl_atlas/site/search.py)
"""

from __future__ import annotations

import logging
import time

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, InclusionLevel

from rl_atlas.catalog import load_catalog
from rl_atlas.problems import REFUSED
from rl_atlas.site.math import render_math
from rl_atlas.site.pages import generate
from rl_atlas.site.search import build_index

log = logging.getLogger("mkdocs.plugins.rl_atlas")
_state: dict = {}


def on_files(files, config):
    t0 = time.perf_counter()
    cat = load_catalog()
    refused = [p for p in cat.errors if p.code in REFUSED]
    if refused:  # files the loader will not read (perhaps hostile): stop, with the messages `rl-atlas validate` prints
        raise PluginError(f"rl-atlas: the catalog at {cat.root} has {len(refused)} file problem(s) the loader refuses "
                          "(see CONTRIBUTING.md):\n" + "\n".join(str(p) for p in refused))
    if cat.errors:
        # The catalog's own gate is `rl-atlas validate`; the site still shows what loaded.
        log.info("rl-atlas: the catalog at %s has %d errors; building from the records that loaded", cat.root, len(cat.errors))
    present = {f.src_uri for f in files.documentation_pages()}
    site = generate(cat, present, docs_dir=config["docs_dir"], site_url=config.get("site_url"))
    for uri in list(site.pages) + list(site.hidden) + list(site.assets):
        old = files.get_file_from_path(uri)
        if old is not None:  # a hand-written file of the same name would be silently shadowed: say so
            log.warning("rl-atlas: generated %s replaces docs/%s; remove the hand-written file", uri, uri)
            files.remove(old)
    for uri, text in site.pages.items():
        files.append(File.generated(config, uri, content=text))
    for uri, text in site.hidden.items():
        files.append(File.generated(config, uri, content=text, inclusion=InclusionLevel.NOT_IN_NAV))
    for uri, data in site.assets.items():
        files.append(File.generated(config, uri, content=data))
    config.nav = site.nav
    _state["inserts"] = site.inserts
    _state["search"] = site.search
    _state["generated"] = set(site.pages) | set(site.hidden)
    log.info("rl-atlas: %d papers, %d generated pages in %.1f s", len(cat.papers),
             len(site.pages) + len(site.hidden), time.perf_counter() - t0)
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri in _state.get("search", {}):
        page.meta.setdefault("search", _state["search"][page.file.src_uri])
    for name, text in _state.get("inserts", {}).get(page.file.src_uri, {}).items():
        marker = f"<!-- atlas:{name} -->"
        if marker not in markdown:
            log.warning("rl-atlas: %s has no %s marker", page.file.src_uri, marker)
        markdown = markdown.replace(marker, text)
    if page.file.src_uri not in _state.get("generated", set()):  # catalog text is never read as TeX
        markdown = render_math(markdown, page.file.src_uri)
    return markdown


def on_post_build(config):
    secs = build_index(config.site_dir)
    log.info("rl-atlas: search index built with Pagefind in %.1f s", secs)

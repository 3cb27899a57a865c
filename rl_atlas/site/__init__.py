"""The taxonomy website, generated from the catalog when mkdocs builds.

`hooks.py` is the mkdocs entry point (listed under `hooks:` in mkdocs.yml). It loads the catalog
($RL_ATLAS_CATALOG or ./catalog) and hands the generated pages to mkdocs in memory, so nothing generated
is ever written into docs/ or committed. The page generators live in `pages.py`, the drawings in
`charts.py`, the escaping and URL helpers in `html.py`.
"""

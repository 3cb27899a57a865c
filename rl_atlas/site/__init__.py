"""The taxonomy website, generated from the catalog when mkdocs builds.

`hooks.py` is the mkdocs entry point (listed under `hooks:` in mkdocs.yml). It loads the catalog
($RL_ATLAS_CATALOG or ./catalog) and hands the generated pages to mkdocs in memory, so nothing generated
is ever written into docs/ or committed. The page generators live in `pages.py` (paper, term and table pages),
`listings.py` (papers by year, recent additions, the Atom feed), `graphview.py` (the graph page and its data);
the drawings in `charts.py`, the escaping and URL helpers in `html.py`, readable labels and source links in
`labels.py`, the dates records were added in `added.py`.
"""

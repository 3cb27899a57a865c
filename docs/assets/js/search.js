/* Site search over Pagefind's chunked index (built by rl_atlas/site/search.py after mkdocs).
 *
 * The box sits in the header of every page. Nothing is fetched until it is used: focusing it loads
 * pagefind/pagefind.js (whose init starts fetching the WebAssembly and the page list), each keystroke preloads the
 * index chunks of the words typed so far, and a search 120 ms after the last keystroke fetches the fragments of its
 * first results. Pagefind scores the pages (a page's name and aliases carry the highest weight); the first
 * CANDIDATES results are then re-ranked in tiers:
 *   0 the query is a page's name or alias ("grpo" -> the GRPO page)
 *   1 a name or alias contains the query as a phrase ("memory agent" -> MemAgent's "... Memory Agent")
 *   2 every word of the query starts a word of a name or alias, or a hub page (capability, task domain,
 *     algorithm) is named in the query ("memory agent" -> Memory)
 *   3 some word does;  4 the query only occurs in the text (a passing mention)
 * and within a tier Pagefind's order holds. Hub pages named in the query come from a small list loaded with
 * Pagefind (assets/data/search-hubs.json). Previews show title, year, venue, kind and summary.
 * Catalog text reaches the page through textContent only; Pagefind's excerpt is rebuilt from its text and <mark>s.
 */
(function () {
  "use strict";
  var CANDIDATES = 20, SHOWN = 10, KINDS = { paper: "paper", capability: "capability", task: "task domain",
    algorithm: "algorithm" };
  var me = document.currentScript && document.currentScript.src;
  var base = me ? me.replace(/assets\/js\/search\.js(\?.*)?$/, "") : "./";
  var pagefind = null, hubs = [], loading = null, seq = 0, shown = [], pending = [];

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  /* Pagefind runs in the page (noWorker): its worker script would be a second copy of the search code, 41 KB
   * more on the first query, for an index whose chunks take milliseconds to score. */
  function load() {
    if (!loading) {
      var pf = import(base + "pagefind/pagefind.js").then(function (mod) {
        return mod.options({ baseUrl: new URL(base).pathname, excerptLength: 24, noWorker: true }).then(function () {
          return mod.init ? mod.init() : null;
        }).then(function () { return mod; });
      });
      var hubList = fetch(base + "assets/data/search-hubs.json").then(function (r) { return r.ok ? r.json() : []; })
        .catch(function () { return []; });
      loading = Promise.all([pf, hubList]).then(function (both) { pagefind = both[0]; hubs = both[1]; return pagefind; });
    }
    return loading;
  }

  // -- ranking ------------------------------------------------------------------------------------
  function norm(s) { return String(s || "").toLowerCase().replace(/[^\p{L}\p{N}+]+/gu, " ").trim(); }

  function tier(query, d) {
    var meta = d.meta || {}, q = norm(query), qw = q.split(" ").filter(Boolean);
    var names = [meta.name || meta.title || ""].concat(meta.aliases ? meta.aliases.split(" | ") : []).map(norm);
    if (!q) return 4;
    if (names.indexOf(q) >= 0) return 0;
    if (names.some(function (n) { return (" " + n + " ").indexOf(" " + q + " ") >= 0; })) return 1;
    var words = [];
    names.forEach(function (n) { words = words.concat(n.split(" ")); });
    var covered = qw.filter(function (w) { return words.some(function (x) { return x.indexOf(w) === 0; }); }).length;
    var hub = meta.kind && meta.kind !== "paper" && names.some(function (n) {
      return n && (" " + q + " ").indexOf(" " + n + " ") >= 0;
    });
    if (covered === qw.length || hub) return 2;
    return covered ? 3 : 4;
  }

  /* Pagefind's first CANDIDATES results, re-ranked; each item {url, data, tier, rank}. Hub pages (capabilities,
   * task domains, algorithms: assets/data/search-hubs.json) that the query names are added even when Pagefind
   * ranks them lower: the page "Memory" is about half of "memory agent" even where its text never says "agent". */
  function hubData(h) {
    return { url: new URL(base + h.url).pathname, meta: { kind: h.kind, name: h.name, summary: h.summary }, excerpt: "" };
  }

  function query(q) {
    var padded = " " + norm(q) + " ";
    return load().then(function (pf) { return pf.search(q); }).then(function (res) {
      var top = res.results.slice(0, CANDIDATES);
      pending = res.results.slice(CANDIDATES);
      return Promise.all(top.map(function (r) { return r.data(); })).then(function (datas) {
        var items = datas.map(function (d, i) { return { url: d.url, data: d, tier: tier(q, d), rank: i }; });
        var seen = {};
        items.forEach(function (it) { seen[it.url] = 1; });
        hubs.forEach(function (h) {
          var d = hubData(h), name = norm(h.name);
          if (name && padded.indexOf(" " + name + " ") >= 0 && !seen[d.url]) {
            seen[d.url] = 1;
            items.push({ url: d.url, data: d, tier: tier(q, d), rank: items.length });
          }
        });
        items.sort(function (a, b) { return a.tier - b.tier || hubFirst(a) - hubFirst(b) || a.rank - b.rank; });
        return { total: Math.max(res.results.length, items.length), items: items };
      });
    });
  }

  function hubFirst(item) { return item.data.meta && item.data.meta.kind && item.data.meta.kind !== "paper" ? 0 : 1; }

  // -- the box ------------------------------------------------------------------------------------
  function excerpt(html) {
    var t = document.createElement("template"), out = document.createDocumentFragment();
    t.innerHTML = html || "";  // inert: nothing in a <template> runs or loads
    t.content.childNodes.forEach(function (n) {
      out.appendChild(n.nodeName === "MARK" ? el("mark", n.textContent) : document.createTextNode(n.textContent));
    });
    return out;
  }

  function hit(item) {
    var d = item.data, meta = d.meta || {};
    var li = el("li", null, { "class": "atlas-search-hit", "data-tier": String(item.tier) });
    var a = el("a", null, { href: d.url });
    a.appendChild(el("span", meta.name || meta.title || d.url, { "class": "atlas-search-title" }));
    var facts = [meta.year, meta.venue, KINDS[meta.kind] || "page"].filter(Boolean).join(" · ");
    a.appendChild(el("span", facts, { "class": "atlas-search-facts" }));
    var sum = el("span", meta.summary || null, { "class": "atlas-search-summary" });
    if (!meta.summary) sum.appendChild(excerpt(d.excerpt));
    a.appendChild(sum);
    li.appendChild(a);
    return li;
  }

  function build() {
    var inner = document.querySelector(".md-header__inner");
    if (!inner || document.getElementById("atlas-search")) return;
    var box = el("div", null, { id: "atlas-search", "class": "atlas-search", role: "search" });
    var input = el("input", null, { type: "search", id: "atlas-search-input", placeholder: "Search the atlas",
      "aria-label": "Search the atlas", autocomplete: "off", spellcheck: "false" });
    var panel = el("div", null, { id: "atlas-search-results", "class": "atlas-search-results", hidden: "" });
    var info = el("p", null, { "class": "atlas-search-info" }), list = el("ol"), more = el("button", "More results",
      { type: "button", "class": "md-button atlas-search-more", hidden: "" });
    panel.appendChild(info); panel.appendChild(list); panel.appendChild(more);
    box.appendChild(input); box.appendChild(panel);
    var source = inner.querySelector(".md-header__source");
    inner.insertBefore(box, source);
    var timer = null;

    function run() {
      var q = input.value.trim(), mine = ++seq, t0 = performance.now();
      if (!q) { panel.hidden = true; return; }
      panel.hidden = false;
      info.textContent = "Searching…";
      query(q).then(function (res) {
        if (mine !== seq) return;
        shown = res.items;
        list.replaceChildren.apply(list, res.items.slice(0, SHOWN).map(hit));
        info.textContent = res.total ? res.total + (res.total === 1 ? " page matches" : " pages match") : "No page matches “" + q + "”.";
        more.hidden = res.total <= SHOWN;
        window.atlasSearch.lastMs = performance.now() - t0;
        window.atlasSearch.searches += 1;
        box.dataset.query = q;
      }).catch(function (err) { info.textContent = "Search is unavailable (" + err.message + ")."; });
    }

    more.addEventListener("click", function () {
      var extra = shown.slice(list.children.length, list.children.length + SHOWN);
      var next = extra.length ? Promise.resolve(extra) : Promise.all(pending.splice(0, SHOWN).map(function (r) {
        return r.data().then(function (d) { return { url: d.url, data: d, tier: tier(input.value, d) }; });
      }));
      next.then(function (items) {
        items.forEach(function (it) { list.appendChild(hit(it)); });
        more.hidden = !pending.length && list.children.length >= shown.length;
      });
    });
    input.addEventListener("focus", function () { load().catch(function () {}); if (input.value.trim()) panel.hidden = false; });
    input.addEventListener("input", function () {
      // Pagefind's own pattern: fetch the index chunks of the words typed so far while the box waits for a pause
      var q = input.value.trim();
      if (q) load().then(function (pf) { return pf.preload(q); }).catch(function () {});
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { panel.hidden = true; input.blur(); }
      if (ev.key === "Enter") { var first = list.querySelector("a"); if (first) window.location.href = first.href; }
    });
    document.addEventListener("click", function (ev) { if (!box.contains(ev.target)) panel.hidden = true; });
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target && ev.target.tagName) || "";
      if (ev.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(tag)) { ev.preventDefault(); input.focus(); }
    });
    window.atlasSearch.open = function (q) { input.value = q; input.focus(); run(); };
  }

  window.atlasSearch = { lastMs: null, searches: 0, query: query, tier: tier };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build); else build();
})();

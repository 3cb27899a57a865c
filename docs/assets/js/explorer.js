/* The explorer: faceted filtering of the catalog in the page, with no server.
 *
 * Data (rl_atlas/site/explorer.py): explorer.json holds one column per filter or sort field and every facet value
 * as a position in that facet's vocabulary; what a row shows (title, aliases, first author, code link) comes in
 * chunks of records (explorer-rows-K.json), fetched when a row of the chunk is shown; explorer-text.json
 * (summaries, all authors) is fetched when the text box is used or the table is sorted by title, and
 * explorer-export.json (BibTeX, CSV, JSON) when a download is asked for.
 * Semantics follow rl_atlas/query.py: values ticked in one facet are alternatives, facets combine with AND; every
 * word of the text box must occur in the id, title, summary, aliases or authors; `algorithm` also matches works
 * using a variant of the algorithm.
 * Catalog text only ever reaches the page through textContent or attribute setters, never innerHTML.
 * The view lives in the query string (?capability=tool-use&venue=ICLR&sort=-year...).
 */
(function () {
  "use strict";
  var root = document.getElementById("atlas-explorer");
  if (!root) return;

  // key: URL parameter and column in explorer.json (the CLI flag of `rl-atlas query` has the same name)
  var FACETS = [
    { key: "capability", label: "Capability" },
    { key: "task", label: "Task domain" },
    { key: "placement", label: "Since the survey" },
    { key: "subcategory", label: "Sub-category" },
    { key: "venue", label: "Venue" },
    { key: "role", label: "Role" },
    { key: "training", label: "Training" },
    { key: "family", label: "Algorithm family" },
    { key: "algorithm", label: "Algorithm (and its variants)" },
    { key: "reward", label: "Reward" },
    { key: "base-model", label: "Base model" },
    { key: "environment", label: "Environment" },
    { key: "framework", label: "Framework" },
    { key: "interaction", label: "Interaction" }
  ];
  var SINGLE = { role: 1, reward: 1, interaction: 1, placement: 1 };  // one value (or none) per record
  var CASELESS = { venue: 1, "base-model": 1 };  // the CLI compares these without case
  var F = FACETS.length, G_YEARS = F, G_CODE = F + 1, G_TEXT = F + 2, GROUPS = F + 3;
  var PAGE = 100;
  var SORTS = { title: 1, year: -1, venue: 1 };  // column -> first direction on click

  var $ = function (id) { return document.getElementById(id); };
  var els = { text: $("x-text"), since: $("x-since"), until: $("x-until"), code: $("x-code"), facets: $("x-facets"),
    count: $("x-count"), body: document.querySelector("#x-results tbody"), more: $("x-more"), reset: $("x-reset"),
    empty: $("x-empty"), filters: $("x-filters"), table: $("x-results"), active: $("x-active") };
  var data, records = [], names = {}, vocab = {}, state, showAll = false, results = [], counters = [];
  var textLoaded = null, exportLoaded = null, exportData = null, chunks = {}, renderSeq = 0;

  function emptyState() {
    var s = { text: "", since: null, until: null, code: false, sort: "", sel: {} };
    FACETS.forEach(function (f) { s.sel[f.key] = new Set(); });
    return s;
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function safeUrl(url) { return typeof url === "string" && /^https?:\/\//.test(url) ? url : null; }

  function asset(name) { return root.dataset.src.replace(/[^/]*$/, "") + name; }

  function getJson(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(r.status + " " + r.statusText + " " + url); return r.json(); });
  }

  // -- state <-> URL ----------------------------------------------------------------------------
  function canonical(key, value) {
    if (!CASELESS[key]) return value;
    var want = value.toLowerCase(), hit = vocab[key].find(function (e) { return e[0].toLowerCase() === want; });
    return hit ? hit[0] : value;
  }

  function readUrl() {
    var p = new URLSearchParams(window.location.search);
    var s = emptyState();
    FACETS.forEach(function (f) { p.getAll(f.key).forEach(function (v) { s.sel[f.key].add(canonical(f.key, v)); }); });
    s.text = p.get("text") || "";
    var since = parseInt(p.get("since"), 10), until = parseInt(p.get("until"), 10);
    s.since = isNaN(since) ? null : since;
    s.until = isNaN(until) ? null : until;
    s.code = p.get("code") === "1";
    var sort = p.get("sort") || "";
    s.sort = SORTS[sort.replace(/^-/, "")] ? sort : "";
    return s;
  }

  function writeUrl() {
    var p = new URLSearchParams();
    FACETS.forEach(function (f) { state.sel[f.key].forEach(function (v) { p.append(f.key, v); }); });
    if (state.since !== null) p.set("since", state.since);
    if (state.until !== null) p.set("until", state.until);
    if (state.code) p.set("code", "1");
    if (state.text) p.set("text", state.text);
    if (state.sort) p.set("sort", state.sort);
    var q = p.toString();
    history.replaceState(null, "", window.location.pathname + (q ? "?" + q : "") + window.location.hash);
  }

  function stateToInputs() {
    els.text.value = state.text;
    els.since.value = state.since === null ? "" : state.since;
    els.until.value = state.until === null ? "" : state.until;
    els.code.checked = state.code;
    els.facets.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      box.checked = state.sel[box.dataset.facet].has(box.value);
    });
  }

  // -- filtering --------------------------------------------------------------------------------
  /* The groups that are set, each with a test. Facet tests look a record's value positions up in a flag array. */
  function activeGroups(terms) {
    var groups = [];
    FACETS.forEach(function (f, j) {
      var sel = state.sel[f.key];
      if (!sel.size) return;
      var flags = new Uint8Array(vocab[f.key].length);
      vocab[f.key].forEach(function (e, i) { if (sel.has(e[0])) flags[i] = 1; });
      groups.push({ g: j, test: function (r) {
        var vals = r.v[j];
        for (var i = 0; i < vals.length; i++) if (flags[vals[i]]) return true;
        return false;
      } });
    });
    if (state.since !== null || state.until !== null) groups.push({ g: G_YEARS, test: function (r) {
      return r.year !== null && (state.since === null || r.year >= state.since) && (state.until === null || r.year <= state.until);
    } });
    if (state.code) groups.push({ g: G_CODE, test: function (r) { return r.hasCode === 1; } });
    if (terms.length) groups.push({ g: G_TEXT, test: function (r) {
      for (var i = 0; i < terms.length; i++) if (r.hay.indexOf(terms[i]) === -1) return false;
      return true;
    } });
    return groups;
  }

  /* One pass over the records: the results; for each facet the counts its values would have given the other
   * groups (a record failing exactly one facet still counts towards that facet's values); and for each group how
   * many records fail it alone (what dropping it would add: the empty state's suggestion). */
  function update() {
    var t0 = performance.now();
    var terms = state.text.toLowerCase().split(/\s+/).filter(Boolean);
    var groups = activeGroups(terms), ng = groups.length;
    var counts = FACETS.map(function (f) { return new Int32Array(vocab[f.key].length); });
    var alone = new Int32Array(GROUPS);
    results = [];
    for (var i = 0; i < records.length; i++) {
      var r = records[i], failed = -1, nfail = 0;
      for (var k = 0; k < ng && nfail < 2; k++) {
        if (!groups[k].test(r)) { nfail++; failed = groups[k].g; }
      }
      if (nfail === 0) {
        results.push(r);
        for (var j = 0; j < F; j++) { var vs = r.v[j], c = counts[j]; for (var m = 0; m < vs.length; m++) c[vs[m]]++; }
      } else if (nfail === 1) {
        alone[failed]++;
        if (failed < F) { var fv = r.v[failed], fc = counts[failed]; for (m = 0; m < fv.length; m++) fc[fv[m]]++; }
      }
    }
    counters.forEach(function (c) {
      var n = counts[c.facet][c.pos];
      c.span.textContent = String(n);
      c.label.classList.toggle("atlas-x-zero", n === 0);
    });
    writeUrl();
    // sorting by title needs every title; drawing needs the row chunks of the rows shown
    var mine = ++renderSeq, ready = state.sort.replace(/^-/, "") === "title" ? ensureAllRows() : Promise.resolve();
    return ready.then(function () {
      sortResults();
      return ensureRows(showAll ? results : results.slice(0, PAGE));
    }).then(function () {
      if (mine !== renderSeq) return;
      renderResults(groups, alone);
      window.atlasExplorer.lastMs = performance.now() - t0;
      window.atlasExplorer.updates += 1;
    }, function (err) { els.count.textContent = "Could not load the catalog rows (" + err.message + ")."; });
  }

  // -- row chunks -------------------------------------------------------------------------------
  function loadChunk(k) {
    if (!chunks[k]) chunks[k] = getJson(asset(data.rows[k])).then(function (c) {
      for (var j = 0; j < c.title.length; j++) {
        var r = records[k * data.rows_chunk + j], code = c.code[j];
        r.title = c.title[j]; r.aliases = c.aliases[j]; r.author = c.author[j];
        r.code = code.indexOf("gh:") === 0 ? "https://github.com/" + code.slice(3) : code;
        r.titleKey = r.title.toLowerCase();
        r.hay += ("\n" + r.title + "\n" + r.aliases.join("\n")).toLowerCase();
      }
    });
    return chunks[k];
  }

  function ensureRows(list) {
    var need = {};
    list.forEach(function (r) { if (r.title === undefined) need[Math.floor(r.i / data.rows_chunk)] = 1; });
    return Promise.all(Object.keys(need).map(function (k) { return loadChunk(+k); }));
  }

  function ensureAllRows() { return Promise.all(data.rows.map(function (_, k) { return loadChunk(k); })); }

  function sortResults() {
    if (!state.sort) return;  // the data's own order: newest first, then id (as `rl-atlas query`)
    var col = state.sort.replace(/^-/, ""), dir = state.sort.charAt(0) === "-" ? -1 : 1;
    var key = col === "title" ? "titleKey" : col === "year" ? "year" : "venueName";
    results.sort(function (a, b) {
      var x = a[key], y = b[key];
      var ex = x === null || x === "", ey = y === null || y === "";
      if (ex !== ey) return ex ? 1 : -1;  // empty cells last in both directions
      if (x !== y) return (x < y ? -1 : 1) * dir;
      return a.i - b.i;
    });
  }

  // -- rendering --------------------------------------------------------------------------------
  function groupLabel(g) {
    if (g === G_YEARS) return "Years " + (state.since === null ? "…" : state.since) + "–" + (state.until === null ? "…" : state.until);
    if (g === G_CODE) return "Has code";
    if (g === G_TEXT) return "Text “" + state.text + "”";
    var f = FACETS[g], labels = [];
    state.sel[f.key].forEach(function (v) { labels.push(names[f.key + "\u0000" + v] || v); });
    return f.label + ": " + labels.join(" or ");
  }

  function dropGroup(g) {
    if (g === G_YEARS) { state.since = null; state.until = null; }
    else if (g === G_CODE) state.code = false;
    else if (g === G_TEXT) state.text = "";
    else state.sel[FACETS[g].key] = new Set();
    stateToInputs();
    update();
  }

  function renderEmpty(groups, alone) {
    var box = els.empty;
    box.replaceChildren();
    box.hidden = results.length > 0;
    if (results.length) return;
    if (!groups.length) { box.appendChild(el("p", "The catalog holds no papers.")); return; }
    box.appendChild(el("p", "No paper matches all of these filters."));
    var options = groups.filter(function (g) { return alone[g.g] > 0; })
      .sort(function (a, b) { return alone[b.g] - alone[a.g]; }).slice(0, 3);
    var p = el("p");
    if (options.length) {
      p.appendChild(document.createTextNode("Drop one filter to see papers: "));
      options.forEach(function (g) {
        var n = alone[g.g];
        var b = el("button", "drop " + groupLabel(g.g) + " (" + n + (n === 1 ? " paper)" : " papers)"),
          { type: "button", "class": "md-button atlas-x-drop", "data-group": String(g.g) });
        b.addEventListener("click", function () { dropGroup(g.g); });
        p.appendChild(b);
      });
    } else {
      p.appendChild(document.createTextNode("No single filter is to blame: every paper fails two or more of them. "));
      var b = el("button", "Clear all filters", { type: "button", "class": "md-button atlas-x-drop" });
      b.addEventListener("click", function () { els.reset.click(); });
      p.appendChild(b);
    }
    box.appendChild(p);
  }

  function renderHead() {
    var col = state.sort.replace(/^-/, ""), dir = state.sort.charAt(0) === "-" ? "descending" : "ascending";
    els.table.querySelectorAll("th[data-sort]").forEach(function (th) {
      if (th.dataset.sort === col) th.setAttribute("aria-sort", dir); else th.removeAttribute("aria-sort");
    });
  }

  function renderResults(groups, alone) {
    var shown = showAll ? results : results.slice(0, PAGE);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.dataset.id = r.id;
      var td = el("td", null, { "class": "x-paper" });
      td.appendChild(el("a", r.title, { href: data.paper_url.replace("ID", encodeURIComponent(r.id)) }));
      if (r.aliases.length) td.appendChild(el("span", " (" + r.aliases.join(", ") + ")", { "class": "atlas-muted" }));
      if (r.author) td.appendChild(el("div", r.author, { "class": "atlas-summary" }));
      tr.appendChild(td);
      tr.appendChild(el("td", r.year === null ? "" : r.year, { "class": "x-year", "data-label": "Year" }));
      tr.appendChild(el("td", r.venueName, { "class": "x-venue", "data-label": "Venue" }));
      tr.appendChild(el("td", r.tags, { "class": "x-tags" }));
      var code = el("td", null, { "class": "x-code" }), url = safeUrl(r.code);
      if (url) code.appendChild(el("a", "code", { href: url, rel: "noopener" }));
      tr.appendChild(code);
      frag.appendChild(tr);
    });
    els.body.replaceChildren(frag);
    var n = results.length;
    els.count.textContent = n + (n === 1 ? " paper" : " papers") + " of " + records.length;
    els.table.hidden = n === 0;
    els.more.hidden = showAll || n <= PAGE;
    els.more.textContent = "Show all " + n;
    root.querySelectorAll("button[data-format]").forEach(function (b) {
      b.disabled = n === 0;
      b.title = n === 0 ? "Nothing to download: no paper matches" : "Download the " + n + " papers shown";
    });
    var active = groups.length;
    els.active.textContent = active ? " (" + active + " active)" : "";
    renderEmpty(groups, alone);
    renderHead();
  }

  // -- downloads --------------------------------------------------------------------------------
  function ensureExport() {
    if (!exportLoaded) exportLoaded = getJson(asset(data.export)).then(function (d) { exportData = d; });
    return exportLoaded;
  }

  function csvText(rows) {
    return [exportData.csv_header].concat(rows.map(function (r) { return exportData.csv[r.i]; })).join("\n") + "\n";
  }

  function download(format) {
    if (!results.length) return;
    var rows = results.slice();
    ensureExport().then(function () {
      var text, type, ext;
      if (format === "bibtex") {
        text = rows.map(function (r) { return exportData.bibtex[r.i]; }).join("\n"); type = "application/x-bibtex"; ext = "bib";
      } else if (format === "csv") {
        text = csvText(rows); type = "text/csv"; ext = "csv";
      } else {
        text = JSON.stringify(rows.map(function (r) { return exportData.json[r.i]; }), null, 1) + "\n";
        type = "application/json"; ext = "json";
      }
      var url = URL.createObjectURL(new Blob([text], { type: type + ";charset=utf-8" }));
      var link = el("a", null, { href: url, download: "rl-atlas-papers." + ext });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }).catch(function (err) { els.count.textContent = "Could not load the download data (" + err.message + ")."; });
  }

  // -- text -------------------------------------------------------------------------------------
  /* The id is in the first file, titles and aliases in the row chunks; summaries and full author lists arrive on
   * first use of the text box, with every row chunk. */
  function ensureText() {
    if (!textLoaded) textLoaded = Promise.all([getJson(asset(data.text)), ensureAllRows()]).then(function (all) {
      var t = all[0];
      records.forEach(function (r) { r.hay += ("\n" + (t.summary[r.i] || "") + "\n" + t.authors[r.i].join("\n")).toLowerCase(); });
    });
    return textLoaded;
  }

  function textChanged() {
    state.text = els.text.value.trim();
    if (!state.text) { update(); return; }
    ensureText().then(update, function (err) { els.count.textContent = "Could not load the text index (" + err.message + ")."; });
  }

  // -- building the controls ----------------------------------------------------------------------
  function buildFacets() {
    FACETS.forEach(function (f, fi) {
      var values = vocab[f.key];
      if (!values.length) return;
      var box = el("details", null, { "class": "atlas-x-facet", "data-facet": f.key });
      box.open = fi < 3 || state.sel[f.key].size > 0;
      box.appendChild(el("summary", f.label));
      var list = el("div", null, { "class": "atlas-x-options" });
      values.forEach(function (v, pos) {
        var label = el("label"), input = el("input", null, { type: "checkbox" });
        input.value = v[0];
        input.dataset.facet = f.key;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + v[1] + " "));
        if (f.key === "subcategory" && v[2]) label.title = names["capability\u0000" + v[2]] || names["task\u0000" + v[2]] || v[2];
        var span = el("span", "0", { "class": "atlas-x-n" });
        label.appendChild(span);
        list.appendChild(label);
        counters.push({ facet: fi, pos: pos, span: span, label: label });
      });
      box.appendChild(list);
      els.facets.appendChild(box);
    });
  }

  function yearValue(input) {
    var v = parseInt(input.value, 10);
    return isNaN(v) ? null : v;
  }

  /* Rows from the columns: r.v[j] holds the record's value positions in facet j's vocabulary. */
  function buildRecords() {
    var c = data.cols, n = c.id.length, fam = vocab.family, algoFamily = {};
    vocab.algorithm.forEach(function (e, i) {
      var at = fam.findIndex(function (f) { return f[0] === e[2]; });
      algoFamily[i] = at;
    });
    var out = new Array(n);
    for (var i = 0; i < n; i++) {
      var venue = c.venue[i] < 0 ? null : data.venues[c.venue[i]];
      var r = { i: i, id: c.id[i], year: c.year[i], hasCode: c.has_code[i], venueName: venue ? venue[0] : "",
        v: new Array(F) };  // title, aliases, author and code arrive with the record's row chunk
      FACETS.forEach(function (f, j) {
        var x;
        if (f.key === "family") {
          var fs = new Set();
          c.algorithm[i].forEach(function (a) { if (algoFamily[a] >= 0) fs.add(algoFamily[a]); });
          x = Array.from(fs);
        } else if (f.key === "venue") x = venue && venue[1] >= 0 ? [venue[1]] : [];
        else if (SINGLE[f.key]) x = c[f.key][i] < 0 ? [] : [c[f.key][i]];
        else x = c[f.key][i];
        r.v[j] = x;
      });
      r.hay = r.id.toLowerCase();
      r.tags = c.capability[i].map(function (x) { return vocab.capability[x][1]; })
        .concat(c.task[i].map(function (x) { return vocab.task[x][1]; })).join(", ");
      out[i] = r;
    }
    return out;
  }

  function sortBy(col) {
    var cur = state.sort.replace(/^-/, "");
    if (cur === col) state.sort = state.sort.charAt(0) === "-" ? col : "-" + col;
    else state.sort = SORTS[col] < 0 ? "-" + col : col;
    update();
  }

  function init(d) {
    data = d;
    FACETS.forEach(function (f) {
      vocab[f.key] = d.facets[f.key] || [];
      vocab[f.key].forEach(function (e) { names[f.key + "\u0000" + e[0]] = e[1]; });
    });
    records = buildRecords();
    state = readUrl();
    buildFacets();
    if (d.years[0] !== null) {
      els.since.placeholder = d.years[0];
      els.until.placeholder = d.years[1];
    }
    stateToInputs();
    if (window.matchMedia && window.matchMedia("(max-width: 50em)").matches) els.filters.open = false;
    els.facets.addEventListener("change", function (ev) {
      var box = ev.target;
      if (!box.dataset || !box.dataset.facet) return;
      if (box.checked) state.sel[box.dataset.facet].add(box.value); else state.sel[box.dataset.facet].delete(box.value);
      update();
    });
    els.text.addEventListener("input", textChanged);
    els.since.addEventListener("input", function () { state.since = yearValue(els.since); update(); });
    els.until.addEventListener("input", function () { state.until = yearValue(els.until); update(); });
    els.code.addEventListener("change", function () { state.code = els.code.checked; update(); });
    els.reset.addEventListener("click", function () {
      var sort = state.sort;
      state = emptyState(); state.sort = sort; showAll = false; stateToInputs(); update();
    });
    els.more.addEventListener("click", function () { showAll = true; update(); });
    els.table.querySelectorAll("th[data-sort]").forEach(function (th) {
      var b = el("button", th.textContent, { type: "button", "class": "atlas-x-sort" });
      b.addEventListener("click", function () { sortBy(th.dataset.sort); });
      th.replaceChildren(b);
    });
    root.querySelectorAll("button[data-format]").forEach(function (b) {
      b.addEventListener("click", function () { download(b.dataset.format); });
    });
    var first = state.text ? ensureText() : Promise.resolve();
    return first.then(update).then(function () { root.dataset.ready = "1"; });
  }

  window.atlasExplorer = {
    lastMs: null, updates: 0,
    ids: function () { return results.map(function (r) { return r.id; }); },
    csv: function () { return ensureExport().then(function () { return csvText(results); }); }
  };
  getJson(root.dataset.src)
    .then(init)
    .catch(function (err) { els.count.textContent = "Could not load the catalog data (" + err.message + ")."; });
})();

/* The explorer: faceted filtering of the catalog's JSON export, in the page, with no server.
 *
 * Semantics follow rl_atlas/query.py: values ticked in one facet are alternatives, facets combine with AND;
 * every word of the text box must occur in the id, title, summary, aliases or authors.
 * Catalog text only ever reaches the page through textContent or attribute setters, never innerHTML.
 * The filter state lives in the query string (?capability=tool-use&task=search&since=2024...).
 */
(function () {
  "use strict";
  var root = document.getElementById("atlas-explorer");
  if (!root) return;

  var FACETS = [
    { key: "capability", field: "capabilities", label: "Capability", data: "capabilities" },
    { key: "task", field: "tasks", label: "Task domain", data: "tasks" },
    { key: "subcategory", field: "subcategories", label: "Sub-category", data: "subcategories" },
    { key: "family", field: "_families", label: "Algorithm family", data: "families" },
    { key: "algorithm", field: "_algorithms", label: "Algorithm", data: "algorithms" },
    { key: "venue", field: "_venues", label: "Venue", data: "venue" }
  ];
  var PAGE = 100;
  var CSV_COLUMNS = ["id", "kind", "type", "title", "authors", "year", "venue", "arxiv", "doi", "paper_link", "code",
    "model", "website", "capabilities", "tasks", "subcategories", "algorithms", "survey_refs", "summary"];

  var $ = function (id) { return document.getElementById(id); };
  var els = { text: $("x-text"), since: $("x-since"), until: $("x-until"), code: $("x-code"), facets: $("x-facets"),
    count: $("x-count"), body: document.querySelector("#x-results tbody"), more: $("x-more"), reset: $("x-reset") };
  var records = [], names = {}, state, showAll = false, results = [], counters = [];

  function emptyState() {
    var s = { text: "", since: null, until: null, code: false, sel: {} };
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

  // -- state <-> URL ----------------------------------------------------------------------------
  function readUrl() {
    var p = new URLSearchParams(window.location.search);
    var s = emptyState();
    FACETS.forEach(function (f) { p.getAll(f.key).forEach(function (v) { s.sel[f.key].add(v); }); });
    s.text = p.get("text") || "";
    var since = parseInt(p.get("since"), 10), until = parseInt(p.get("until"), 10);
    s.since = isNaN(since) ? null : since;
    s.until = isNaN(until) ? null : until;
    s.code = p.get("code") === "1";
    return s;
  }

  function writeUrl() {
    var p = new URLSearchParams();
    FACETS.forEach(function (f) { state.sel[f.key].forEach(function (v) { p.append(f.key, v); }); });
    if (state.since !== null) p.set("since", state.since);
    if (state.until !== null) p.set("until", state.until);
    if (state.code) p.set("code", "1");
    if (state.text) p.set("text", state.text);
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
  function passesBase(r, terms) {
    if (state.since !== null || state.until !== null) {
      if (r.year === null || r.year === undefined) return false;
      if (state.since !== null && r.year < state.since) return false;
      if (state.until !== null && r.year > state.until) return false;
    }
    if (state.code && !r.has_code) return false;
    for (var i = 0; i < terms.length; i++) if (r._hay.indexOf(terms[i]) === -1) return false;
    return true;
  }

  function passesFacet(r, f) {
    var sel = state.sel[f.key];
    if (sel.size === 0) return true;
    var vals = r[f.field];
    for (var i = 0; i < vals.length; i++) if (sel.has(vals[i])) return true;
    return false;
  }

  function bump(map, values) {
    for (var i = 0; i < values.length; i++) map.set(values[i], (map.get(values[i]) || 0) + 1);
  }

  /* One pass over the records: the results, and for each facet the counts its values would have given the
   * other facets (a record failing exactly one facet still counts towards that facet's values). */
  function update() {
    var t0 = performance.now();
    var terms = state.text.toLowerCase().split(/\s+/).filter(Boolean);
    var counts = FACETS.map(function () { return new Map(); });
    results = [];
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (!passesBase(r, terms)) continue;
      var failed = -1, nfail = 0;
      for (var j = 0; j < FACETS.length && nfail < 2; j++) {
        if (!passesFacet(r, FACETS[j])) { nfail++; failed = j; }
      }
      if (nfail === 0) {
        results.push(r);
        for (j = 0; j < FACETS.length; j++) bump(counts[j], r[FACETS[j].field]);
      } else if (nfail === 1) {
        bump(counts[failed], r[FACETS[failed].field]);
      }
    }
    counters.forEach(function (c) {
      var n = counts[c.facet].get(c.value) || 0;
      c.span.textContent = String(n);
      c.label.classList.toggle("atlas-x-zero", n === 0);
    });
    renderResults();
    writeUrl();
    window.atlasExplorer.lastMs = performance.now() - t0;
    window.atlasExplorer.updates += 1;
  }

  function renderResults() {
    var shown = showAll ? results : results.slice(0, PAGE);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.dataset.id = r.id;
      var td = el("td");
      td.appendChild(el("a", r.title, { href: r._url }));
      if (r.aliases.length) td.appendChild(el("span", " (" + r.aliases.join(", ") + ")", { "class": "atlas-muted" }));
      if (r.authors.length) {
        var who = r.authors.slice(0, 3).join(", ") + (r.authors.length > 3 ? " et al." : "");
        td.appendChild(el("div", who, { "class": "atlas-summary" }));
      }
      tr.appendChild(td);
      tr.appendChild(el("td", r.year === null ? "" : r.year));
      tr.appendChild(el("td", r.venue || ""));
      tr.appendChild(el("td", r.capabilities.concat(r.tasks).map(function (t) { return names[t] || t; }).join(", ")));
      var code = el("td"), url = safeUrl(r.links.code);
      if (url) code.appendChild(el("a", "code", { href: url, rel: "noopener" }));
      tr.appendChild(code);
      frag.appendChild(tr);
    });
    els.body.replaceChildren(frag);
    var n = results.length;
    els.count.textContent = n + (n === 1 ? " paper" : " papers") + " of " + records.length;
    els.more.hidden = showAll || n <= PAGE;
    els.more.textContent = "Show all " + n;
  }

  // -- downloads --------------------------------------------------------------------------------
  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function csvText(rows) {
    var lines = [CSV_COLUMNS.join(",")];
    rows.forEach(function (r) {
      var l = r.links || {};
      lines.push([r.id, r.kind, r.type, r.title, r.authors.join("; "), r.year, r.venue, r.arxiv, r.doi, l.paper, l.code,
        l.model, l.website, r.capabilities.join("; "), r.tasks.join("; "), r.subcategories.join("; "),
        r.algorithms.join("; "), r.survey_refs.join("; "), r.summary].map(csvCell).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function publicRow(r) {
    var out = {};
    Object.keys(r).forEach(function (k) { if (k.charAt(0) !== "_") out[k] = r[k]; });
    return out;
  }

  function download(format) {
    var text, type, ext;
    if (format === "bibtex") {
      text = results.map(function (r) { return r._bibtex; }).join("\n"); type = "application/x-bibtex"; ext = "bib";
    } else if (format === "csv") {
      text = csvText(results); type = "text/csv"; ext = "csv";
    } else {
      text = JSON.stringify(results.map(publicRow), null, 1) + "\n"; type = "application/json"; ext = "json";
    }
    var url = URL.createObjectURL(new Blob([text], { type: type + ";charset=utf-8" }));
    var link = el("a", null, { href: url, download: "rl-atlas-papers." + ext });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // -- building the controls ----------------------------------------------------------------------
  function buildFacets(data) {
    FACETS.forEach(function (f, fi) {
      var values = data.facets[f.data] || [];
      if (!values.length) return;
      var box = el("details", null, { "class": "atlas-x-facet", "data-facet": f.key });
      box.open = fi < 2 || state.sel[f.key].size > 0;
      box.appendChild(el("summary", f.label));
      var list = el("div", null, { "class": "atlas-x-options" });
      values.forEach(function (v) {
        var label = el("label"), input = el("input", null, { type: "checkbox" });
        input.value = v[0];
        input.dataset.facet = f.key;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + v[1] + " "));
        if (v[2]) label.title = (names[v[2]] || v[2]);
        var span = el("span", "0", { "class": "atlas-x-n" });
        label.appendChild(span);
        list.appendChild(label);
        counters.push({ facet: fi, value: v[0], span: span, label: label });
      });
      box.appendChild(list);
      els.facets.appendChild(box);
    });
  }

  function yearValue(input) {
    var v = parseInt(input.value, 10);
    return isNaN(v) ? null : v;
  }

  function init(data) {
    ["capabilities", "tasks"].forEach(function (k) {
      data.facets[k].forEach(function (v) { names[v[0]] = v[1]; });
    });
    records = data.records;
    records.forEach(function (r) {
      r._venues = r.venue ? [r.venue] : [];
      r._hay = [r.id, r.title, r.summary || ""].concat(r.aliases, r.authors).join("\n").toLowerCase();
    });
    state = readUrl();
    buildFacets(data);
    if (data.years[0] !== null) {
      els.since.placeholder = data.years[0];
      els.until.placeholder = data.years[1];
    }
    stateToInputs();
    els.facets.addEventListener("change", function (ev) {
      var box = ev.target;
      if (!box.dataset || !box.dataset.facet) return;
      if (box.checked) state.sel[box.dataset.facet].add(box.value); else state.sel[box.dataset.facet].delete(box.value);
      update();
    });
    els.text.addEventListener("input", function () { state.text = els.text.value.trim(); update(); });
    els.since.addEventListener("input", function () { state.since = yearValue(els.since); update(); });
    els.until.addEventListener("input", function () { state.until = yearValue(els.until); update(); });
    els.code.addEventListener("change", function () { state.code = els.code.checked; update(); });
    els.reset.addEventListener("click", function () { state = emptyState(); showAll = false; stateToInputs(); update(); });
    els.more.addEventListener("click", function () { showAll = true; renderResults(); });
    root.querySelectorAll("button[data-format]").forEach(function (b) {
      b.addEventListener("click", function () { download(b.dataset.format); });
    });
    update();
    root.dataset.ready = "1";
  }

  window.atlasExplorer = {
    lastMs: null, updates: 0,
    ids: function () { return results.map(function (r) { return r.id; }); },
    csv: function () { return csvText(results); }
  };
  fetch(root.dataset.src)
    .then(function (r) { if (!r.ok) throw new Error(r.status + " " + r.statusText); return r.json(); })
    .then(init)
    .catch(function (err) { els.count.textContent = "Could not load the catalog data (" + err.message + ")."; });
})();

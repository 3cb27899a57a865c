/* Sortable, filterable tables: every `table.atlas-sortable` gets a filter box above it, and its column headers
 * sort the rows (click again to reverse). Numbers sort as numbers, empty cells last. Rows are moved, never
 * re-created, so no text is ever re-parsed as HTML. */
(function () {
  "use strict";
  function cellKey(row, col) {
    var cell = row.cells[col];
    var text = cell ? cell.textContent.trim() : "";
    var num = Number(text);
    return { empty: text === "", num: text !== "" && !isNaN(num) ? num : null, text: text.toLowerCase() };
  }

  function compare(a, b) {
    if (a.empty !== b.empty) return a.empty ? 1 : -1;
    if (a.num !== null && b.num !== null) return a.num - b.num;
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }

  function setup(table) {
    if (table.dataset.ready) return;
    table.dataset.ready = "1";
    var body = table.tBodies[0];
    if (!body) return;
    var input = document.createElement("input");
    input.type = "search";
    input.className = "atlas-filter";
    input.placeholder = "Filter " + (table.dataset.caption || "rows") + "...";
    input.setAttribute("aria-label", input.placeholder);
    var info = document.createElement("span");
    info.className = "atlas-muted atlas-filter-info";
    var bar = document.createElement("div");
    bar.className = "atlas-filter-bar";
    bar.appendChild(input);
    bar.appendChild(info);
    table.parentNode.insertBefore(bar, table);
    var rows = Array.prototype.slice.call(body.rows);
    function filter() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var ok = terms.every(function (t) { return text.indexOf(t) !== -1; });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      info.textContent = shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", filter);
    filter();
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.classList.add("atlas-sort");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(th.parentNode.cells, function (o) { o.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var keyed = rows.map(function (row, i) { return { row: row, key: cellKey(row, col), i: i }; });
        keyed.sort(function (a, b) {
          var c = compare(a.key, b.key);
          if (a.key.empty || b.key.empty) return c || a.i - b.i;
          return (asc ? c : -c) || a.i - b.i;
        });
        keyed.forEach(function (k) { body.appendChild(k.row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sort(); });
    });
  }

  function run() { document.querySelectorAll("table.atlas-sortable").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run); else run();
})();

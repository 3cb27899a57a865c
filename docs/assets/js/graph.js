/* The graph page's neighbourhood view: papers, algorithms, environments and frameworks from
 * assets/data/graph.json (written at build time by rl_atlas/site/graphview.py), drawn with the vendored
 * cytoscape.js. One node and its direct neighbours are shown at a time; clicking a node moves to its
 * neighbourhood, and the address (#node=KIND:ID) keeps it. Labels are set as data, never parsed as HTML. */
(function () {
  "use strict";
  var COLOURS = { paper: "#5c6bc0", algorithm: "#2a9d8f", environment: "#e76f51", framework: "#8d6e63" };
  // how an edge reads from each end: REL_OUT from its source, REL_IN from its target
  var REL_OUT = {
    uses_algorithm: "trains with", evaluated_on: "evaluated on", built_on: "built on",
    derives_from: "derives from", introduced_by: "introduced by"
  };
  var REL_IN = {
    uses_algorithm: "used by", evaluated_on: "evaluates", built_on: "built on it",
    derives_from: "variant", introduced_by: "introduces"
  };
  // a hub (GRPO, a popular benchmark) shows only its first neighbours (non-papers first): 80 on a wide screen,
  // 30 on a phone; the panel says how many more there are
  function maxNeighbours(container) { return container.clientWidth < 600 ? 30 : 80; }

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function start(root) {
    var data;
    var byId = {};
    var adj = [];
    var cy;
    var panel = document.getElementById("g-panel");
    var pick = document.getElementById("g-pick");

    function nodeLabel(i) { return data.nodes[i][2]; }
    function kindOf(i) { return data.kinds[data.nodes[i][1]]; }

    function neighbourhood(center) {
      var seen = {}; seen[center] = true;
      var list = adj[center].slice().sort(function (a, b) {
        return nodeLabel(b.other).localeCompare(nodeLabel(a.other));
      });
      // keep the non-paper neighbours first: they are few and say the most
      list.sort(function (a, b) { return (kindOf(a.other) === "paper") - (kindOf(b.other) === "paper"); });
      var shown = [], hidden = 0, limit = maxNeighbours(cy.container());
      list.forEach(function (e) {
        if (seen[e.other]) return;
        if (shown.length >= limit) { hidden += 1; seen[e.other] = true; return; }
        seen[e.other] = true; shown.push(e);
      });
      return { shown: shown, hidden: hidden };
    }

    function show(center, push) {
      var nb = neighbourhood(center);
      var ids = [center].concat(nb.shown.map(function (e) { return e.other; }));
      var inView = {}; ids.forEach(function (i) { inView[i] = true; });
      var elements = ids.map(function (i) {
        return { group: "nodes", data: { id: "n" + i, idx: i, label: nodeLabel(i), kind: kindOf(i), center: i === center ? 1 : 0 } };
      });
      data.edges.forEach(function (e, k) {
        if (inView[e[0]] && inView[e[1]] && (e[0] === center || e[1] === center)) {
          elements.push({ group: "edges", data: { id: "e" + k, source: "n" + e[0], target: "n" + e[1], rel: data.rels[e[2]] } });
        }
      });
      cy.elements().remove();
      cy.add(elements);
      // the centre, then a ring of algorithms, environments and frameworks, then a ring of papers
      cy.layout({ name: "concentric", concentric: function (n) { return n.data("center") ? 3 : n.data("kind") === "paper" ? 1 : 2; },
                  levelWidth: function () { return 1; }, minNodeSpacing: 12, animate: false }).run();
      cy.fit(undefined, 20);
      if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(); } // a small neighbourhood is not blown up
      // when fitting shrank the drawing, grow nodes and labels back (up to 2.5x) so they stay readable and tappable
      var k = Math.min(2.5, Math.max(1, 1 / cy.zoom()));
      cy.style().selector("node").style({ width: 14 * k, height: 14 * k, "font-size": 9 * k })
        .selector("node[center = 1]").style({ width: 28 * k, height: 28 * k, "font-size": 12 * k }).update();
      root.dataset.center = data.nodes[center][0];
      root.dataset.shown = String(ids.length);
      renderPanel(center, nb);
      if (push !== false) history.replaceState(null, "", "#node=" + encodeURIComponent(data.nodes[center][0]));
      pick.value = "";
    }

    function renderPanel(center, nb) {
      panel.textContent = "";
      var n = data.nodes[center];
      var h = el("h3", null, {});
      h.appendChild(el("a", n[2], { href: n[3] }));
      panel.appendChild(el("p", kindOf(center) + " · " + adj[center].length + " links", { class: "atlas-muted" }));
      panel.appendChild(h);
      var ul = el("ul", null, { id: "g-neighbours" });
      nb.shown.forEach(function (e) {
        var li = el("li", null, {});
        var rel = (e.out ? REL_OUT : REL_IN)[e.rel] || e.rel;
        li.appendChild(el("span", rel + ": ", { class: "atlas-muted" }));
        li.appendChild(el("a", nodeLabel(e.other), { href: data.nodes[e.other][3] }));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
      if (nb.hidden) panel.appendChild(el("p", "and " + nb.hidden + " more (see the record's page)", { class: "atlas-muted" }));
    }

    fetch(root.dataset.src).then(function (r) { return r.json(); }).then(function (json) {
      data = json;
      data.nodes.forEach(function (n, i) {
        byId[n[0]] = i; adj.push([]);
        if (!n[3]) n[3] = data.paper_url.replace("ID", n[0].slice(n[0].indexOf(":") + 1));
      });
      data.edges.forEach(function (e) {
        adj[e[0]].push({ other: e[1], rel: data.rels[e[2]], out: true });
        adj[e[1]].push({ other: e[0], rel: data.rels[e[2]], out: false });
      });
      var names = document.getElementById("g-names");
      var byLabel = {};
      data.nodes.forEach(function (n, i) {
        if (kindOf(i) === "paper" && !adj[i].length) return;
        byLabel[n[2]] = i;
        names.appendChild(el("option", null, { value: n[2] }));
      });
      var legend = document.getElementById("g-legend");
      data.kinds.forEach(function (k) {
        var s = el("span", null, {});
        var dot = el("i", null, {}); dot.style.background = COLOURS[k];
        s.appendChild(dot); s.appendChild(document.createTextNode(k));
        legend.appendChild(s);
      });
      cy = window.cytoscape({
        container: document.getElementById("g-canvas"),
        wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: { "background-color": function (n) { return COLOURS[n.data("kind")]; },
            label: "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 140, width: 14, height: 14,
            color: getComputedStyle(root).getPropertyValue("color") || "#222" } },
          { selector: "node[center = 1]", style: { width: 28, height: 28, "font-size": 12, "font-weight": "bold" } },
          { selector: "edge", style: { width: 1, "line-color": "#999", "curve-style": "straight",
            "target-arrow-shape": "triangle", "target-arrow-color": "#999", "arrow-scale": 0.6 } }
        ]
      });
      cy.on("tap", "node", function (evt) { show(evt.target.data("idx")); });
      pick.addEventListener("change", function () {
        if (byLabel.hasOwnProperty(pick.value)) show(byLabel[pick.value]);
      });
      var m = /node=([^&]+)/.exec(location.hash);
      var first = m && byId.hasOwnProperty(decodeURIComponent(m[1])) ? byId[decodeURIComponent(m[1])] : null;
      if (first === null) { // the algorithm most papers train with
        var best = -1;
        data.nodes.forEach(function (n, i) {
          if (kindOf(i) === "algorithm" && (best < 0 || adj[i].length > adj[best].length)) best = i;
        });
        first = best >= 0 ? best : 0;
      }
      if (data.nodes.length) show(first, false);
      root.dataset.ready = "1";
      window.atlasGraph = { show: function (id) { show(byId[id]); }, cy: cy };
    }).catch(function (err) {
      panel.textContent = "The graph data could not be loaded (" + err + ").";
    });
  }

  function init() {
    var root = document.getElementById("atlas-graph");
    if (root && !root.dataset.started && window.cytoscape) { root.dataset.started = "1"; start(root); }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();

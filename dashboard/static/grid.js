/* pytest-streamstress dashboard, the test grid (TestGrid-like): tests x the newest runs, newest left.
 *
 * A failed or errored cell is painted in its category's colour (the palette's `.k-<letter>` rule),
 * a pass pale green, a flaky pass the same with an amber bar, a skip light grey, a test not run an
 * empty outlined cell; the legend names what is on screen. The table is built once per date range
 * and column count; a filter only hides rows, which keeps a filter within a frame on 200 tests.
 * With several clusters (issue 23) each has a row group: a header row naming the cluster and its
 * versions over its own run columns, then its tests against its own newest runs; a failure is
 * judged against its own cluster's runs only.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var DEFAULT_COLUMNS = 60;
  var NAME_WIDTH = 400 + 14 + 1; // th.name: width + horizontal padding + border spacing (app.css)
  var CELL_WIDTH = 14;
  var built = { key: "", byRow: {}, heads: [] };

  function cellClass(t, r) {
    var code = S.CELLS[t].charAt(r);
    if (code === "-") return "cell c-none";
    if (S.FAILING[code]) {
      var letter = S.CATS[t].charAt(r);
      return "cell c-" + code + (S.BY_CODE[letter] ? " k-" + letter : "");
    }
    return "cell c-" + code;
  }

  function columnHeads(tr, cols, width) {
    cols.forEach(function (r) {
      var run = S.RUNS[r];
      var versions = S.MULTI ? S.versionsOf(run) : "";
      tr.appendChild(S.el("th", {
        scope: "col", className: "col" + (run.emulated ? " emulated" : ""),
        title: S.runName(run) + "\n" + run.id + (versions ? "\n" + versions : ""),
        testid: "grid-column", "data-run": run.id,
      }, S.el("span", { text: S.when(run, true) })));
    });
    for (var i = cols.length; i < width; i++) tr.appendChild(S.el("th", { className: "col" }));
    return tr;
  }

  function build(groups) {
    var table = S.clear(S.$("grid"));
    var width = Math.max.apply(null, groups.map(function (g) { return g.cols.length; }));
    table.style.width = NAME_WIDTH + width * (CELL_WIDTH + 1) + 1 + "px"; // app.css: fixed layout
    var byRow = {};
    var heads = [];
    if (!groups[0].cluster) {
      var head = S.el("tr", null, S.el("th", { className: "name", scope: "col", text: "Test" }));
      table.appendChild(S.el("thead", null, columnHeads(head, groups[0].cols, width)));
      table.appendChild(rowsOf(groups[0], 0, byRow));
      return { byRow: byRow, heads: heads };
    }
    groups.forEach(function (group, g) {
      var c = group.cluster;
      var versions = S.versionsIn(group.cols);
      var name = S.el("th", { scope: "colgroup", className: "name group-name", testid: "grid-group-name" },
        S.el("strong", { className: "cluster-name", text: c.label }),
        versions.now ? S.el("span", { className: "versions", testid: "grid-group-versions", text: versions.now }) : null,
        versions.before.length ? S.el("span", { className: "hint", testid: "grid-group-earlier",
          text: "earlier runs: " + versions.before.join("; ") }) : null,
        S.el("span", { className: "hint", testid: "grid-group-count" }));
      var tr = columnHeads(S.el("tr", { className: "group-head", testid: "grid-group", "data-cluster": c.id }, name),
        group.cols, width);
      heads.push(tr);
      var body = rowsOf(group, g, byRow);
      body.insertBefore(tr, body.firstChild);
      table.appendChild(body);
    });
    return { byRow: byRow, heads: heads };
  }

  // A group's rows: the tests that ran on its runs (every test without clusters), failing now first.
  function rowsOf(group, g, byRow) {
    var runs = group.runs;
    var cols = group.cols;
    var rows = [];
    S.TESTS.forEach(function (test, t) {
      if (group.cluster && !S.latestCell(t, runs)) return;
      rows.push({ t: t, since: S.failingSince(t, runs), flaky: S.isFlaky(t, runs) });
    });
    rows.sort(function (a, b) {
      var fa = a.since >= 0 ? 0 : a.flaky ? 1 : 2;
      var fb = b.since >= 0 ? 0 : b.flaky ? 1 : 2;
      if (fa !== fb) return fa - fb;
      if (fa === 0 && a.since !== b.since) return a.since - b.since;
      var x = S.TESTS[a.t];
      var y = S.TESTS[b.t];
      return x.s < y.s ? -1 : x.s > y.s ? 1 : x.n < y.n ? -1 : x.n > y.n ? 1 : 0;
    });
    var body = S.el("tbody", { "data-cluster": group.cluster ? group.cluster.id : null });
    rows.forEach(function (row) {
      var t = row.t;
      var test = S.TESTS[t];
      var name = S.el("th", { scope: "row", className: "name", title: test.k },
        S.el("span", { className: "scenario", text: test.n }), S.el("span", { className: "spec", text: test.s }));
      if (row.flaky) name.appendChild(S.el("span", { className: "badge flaky", testid: "flaky-badge", text: "flaky" }));
      if (row.since >= 0) {
        name.appendChild(S.el("span", {
          className: "badge failing", testid: "failing-since", "data-run": S.RUNS[row.since].id,
          text: "failing since " + S.when(S.RUNS[row.since], false),
        }));
      }
      var tr = S.el("tr", { testid: "grid-row", "data-key": test.k, "data-cluster": group.cluster ? group.cluster.id : null },
        name);
      for (var i = 0; i < cols.length; i++) {
        var r = cols[i];
        var td = document.createElement("td");
        td.className = cellClass(t, r);
        td.setAttribute("data-testid", "grid-cell");
        td.setAttribute("data-status", S.STATUS_OF[S.CELLS[t].charAt(r)]);
        td.setAttribute("data-run", S.RUNS[r].id);
        tr.appendChild(td);
      }
      byRow[g + ":" + t] = tr;
      body.appendChild(tr);
    });
    group.total = rows.length;
    return body;
  }

  function legend(groups) {
    // What is on screen: the categories of the visible failed cells, then the outcomes.
    var seen = {};
    var outcomes = {};
    groups.forEach(function (group) {
      var cols = group.cols;
      group.tests.forEach(function (t) {
        var cells = S.CELLS[t];
        var cats = S.CATS[t];
        for (var i = 0; i < cols.length; i++) {
          var code = cells.charAt(cols[i]);
          outcomes[code] = true;
          if (S.FAILING[code]) seen[S.BY_CODE[cats.charAt(cols[i])] ? cats.charAt(cols[i]) : "none"] = true;
        }
      });
    });
    var box = S.$("grid-legend");
    var shown = Object.keys(seen).sort().join() + "|" + Object.keys(outcomes).sort().join();
    if (box.__shown === shown) return; // the same keys: leave the legend (and the layout above the grid) alone
    box.__shown = shown;
    S.clear(box);
    function key(className, label, testid, category) {
      box.appendChild(S.el("span", { className: "key", testid: testid, "data-category": category || null },
        S.el("i", { className: className }), label));
    }
    S.CATEGORY_IDS.forEach(function (id) {
      var c = S.CATEGORY[id];
      if (seen[c.code]) key("k-" + c.code, c.label, "legend-category", c.id);
    });
    if (seen.none) key("c-F", "failed, no category", "legend-category", "");
    key("c-P", "passed", "legend-outcome");
    if (outcomes.K) key("c-K", "flaky (passed on retry)", "legend-outcome");
    if (outcomes.S) key("c-S", "skipped", "legend-outcome");
    if (outcomes["-"]) key("c-none", "not run", "legend-outcome");
  }

  function since(runs) {
    var pair = S.changePair(runs);
    return pair ? "Since " + S.runName(S.RUNS[pair.previous]) + ": " : "No earlier scored run to compare with. ";
  }

  // `groups`: [{cluster, runs, tests}], one per cluster (main.js filters each against its own runs).
  S.renderGrid = function (groups) {
    var limit = parseInt(S.state.cols, 10) || DEFAULT_COLUMNS;
    var hidden = 0;
    groups.forEach(function (group) {
      var runs = group.runs;
      group.cols = runs.slice(Math.max(0, runs.length - limit)).reverse(); // newest first, like TestGrid
      hidden += runs.length - group.cols.length;
    });
    var key = groups.map(function (g) {
      return (g.cluster ? g.cluster.id : "") + ":" + (g.runs.length ? g.runs[0] + "-" + g.runs[g.runs.length - 1] + "/" + g.runs.length : "none");
    }).join(",") + "|" + limit;
    if (built.key !== key) {
      built = build(groups);
      built.key = key;
      built.totals = groups.map(function (g) { return g.total; });
    }
    var shown = {};
    groups.forEach(function (group, g) {
      // A cluster's group holds only the tests it ran: a filter may match others, not shown there.
      group.tests = group.tests.filter(function (t) { return built.byRow[g + ":" + t]; });
      group.tests.forEach(function (t) { shown[g + ":" + t] = true; });
    });
    Object.keys(built.byRow).forEach(function (id) {
      var hide = !shown[id];
      var row = built.byRow[id];
      if (row.hidden !== hide) row.hidden = hide;
    });
    legend(groups);
    var older = hidden ? "; " + S.plural(hidden, "older run") + " hidden, narrow the date range to see them" : "";
    var caption;
    if (groups[0].cluster) {
      built.heads.forEach(function (tr, g) {
        var group = groups[g];
        var total = built.totals[g];
        S.$("grid-group-count", tr).textContent = (S.state.chg ? since(group.runs) : "") +
          (group.tests.length === total ? S.plural(total, "test") : group.tests.length + " of " + S.plural(total, "test")) +
          " × " + S.plural(group.cols.length, "run");
      });
      caption = (groups.length > 1 ? groups.length + " clusters, a row group each: a cluster's tests against its own" :
        "One cluster: its tests against its") + " newest runs (newest left" + older + "). Click a cell to open that run.";
    } else {
      var tests = groups[0].tests;
      var cols = groups[0].cols;
      caption = S.plural(tests.length, "test") + " × " + S.plural(cols.length, "run") + " (newest left" + older +
        "). Click a cell to open that run.";
      if (S.state.chg) caption = since(groups[0].runs) + caption;
    }
    var upto = S.uptoRun();
    if (upto < S.RUNS.length - 1) {
      caption = "Runs up to " + S.when(S.RUNS[upto]) + ": the " + S.plural(S.RUNS.length - 1 - upto, "run") +
        " after it (reruns) are left out. " + caption;
    }
    S.$("grid-caption").textContent = caption;
  };
})();

/* pytest-streamstress dashboard, the test grid (TestGrid-like): tests x the newest runs, newest left.
 *
 * A failed or errored cell is painted in its category's colour (the palette's `.k-<letter>` rule),
 * a pass pale green, a flaky pass the same with an amber bar, a skip light grey, a test not run an
 * empty outlined cell; the legend names what is on screen. The table is built once per date range
 * and column count; a filter only hides rows, which keeps a filter within a frame on 200 tests.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var DEFAULT_COLUMNS = 60;
  var NAME_WIDTH = 400 + 14 + 1; // th.name: width + horizontal padding + border spacing (app.css)
  var CELL_WIDTH = 14;
  var built = { key: "", rows: [], byTest: {}, cols: [] };

  function cellClass(t, r) {
    var code = S.CELLS[t].charAt(r);
    if (code === "-") return "cell c-none";
    if (S.FAILING[code]) {
      var letter = S.CATS[t].charAt(r);
      return "cell c-" + code + (S.BY_CODE[letter] ? " k-" + letter : "");
    }
    return "cell c-" + code;
  }

  function build(runs, cols) {
    var table = S.clear(S.$("grid"));
    table.style.width = NAME_WIDTH + cols.length * (CELL_WIDTH + 1) + 1 + "px"; // app.css: fixed layout
    var head = S.el("tr", null, S.el("th", { className: "name", scope: "col", text: "Test" }));
    cols.forEach(function (r) {
      var run = S.RUNS[r];
      head.appendChild(S.el("th", {
        scope: "col", className: "col" + (run.emulated ? " emulated" : ""), title: S.runName(run) + "\n" + run.id,
        testid: "grid-column", "data-run": run.id,
      }, S.el("span", { text: S.when(run, true) })));
    });
    table.appendChild(S.el("thead", null, head));
    // Failing now first (longest streak first), then flaky, then the rest by name.
    var rows = S.TESTS.map(function (test, t) {
      return { t: t, since: S.failingSince(t, runs), flaky: S.isFlaky(t, runs) };
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
    var body = document.createElement("tbody");
    var byTest = {};
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
      var tr = S.el("tr", { testid: "grid-row", "data-key": test.k }, name);
      for (var i = 0; i < cols.length; i++) {
        var r = cols[i];
        var td = document.createElement("td");
        td.className = cellClass(t, r);
        td.setAttribute("data-testid", "grid-cell");
        td.setAttribute("data-status", S.STATUS_OF[S.CELLS[t].charAt(r)]);
        td.setAttribute("data-run", S.RUNS[r].id);
        tr.appendChild(td);
      }
      byTest[t] = tr;
      body.appendChild(tr);
    });
    table.appendChild(body);
    return byTest;
  }

  function legend(tests, cols) {
    // What is on screen: the categories of the visible failed cells, then the outcomes.
    var seen = {};
    var outcomes = {};
    tests.forEach(function (t) {
      var cells = S.CELLS[t];
      var cats = S.CATS[t];
      for (var i = 0; i < cols.length; i++) {
        var code = cells.charAt(cols[i]);
        outcomes[code] = true;
        if (S.FAILING[code]) seen[S.BY_CODE[cats.charAt(cols[i])] ? cats.charAt(cols[i]) : "none"] = true;
      }
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

  S.renderGrid = function (runs, tests) {
    var limit = parseInt(S.state.cols, 10) || DEFAULT_COLUMNS;
    var cols = runs.slice(Math.max(0, runs.length - limit)).reverse(); // newest first, like TestGrid
    var key = runs.length ? runs[0] + "-" + runs[runs.length - 1] + "/" + runs.length + "|" + limit : "none";
    if (built.key !== key) {
      built = { key: key, byTest: build(runs, cols), cols: cols };
    }
    var shown = {};
    tests.forEach(function (t) { shown[t] = true; });
    Object.keys(built.byTest).forEach(function (t) {
      var hide = !shown[t];
      var row = built.byTest[t];
      if (row.hidden !== hide) row.hidden = hide;
    });
    legend(tests, cols);
    var caption = S.plural(tests.length, "test") + " × " + S.plural(cols.length, "run") + " (newest left" +
      (runs.length > cols.length ? "; " + S.plural(runs.length - cols.length, "older run") + " hidden, narrow the date range to see them" : "") +
      "). Click a cell to open that run.";
    if (S.state.chg) {
      var pair = S.changePair(runs);
      caption = (pair ? "Since " + S.runName(S.RUNS[pair.previous]) + ": " : "No earlier scored run to compare with. ") + caption;
    }
    S.$("grid-caption").textContent = caption;
  };
})();

/* pytest-streamstress dashboard, the main loop: start after the first paint, render the view in the URL.
 *
 * The morning page is already in the HTML (report/morning.py via jinja2); the app starts after the
 * browser has painted it, then parses the index, draws the trends and wires the other views. Every
 * filter and the view live in the URL hash, so a copied URL reopens the same view.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var SERIES_LABEL = { passed: "passed", passrate: "pass rate", max_parallel: "safe parallel specs" };

  function placeFilters() {
    // One form: above the trends on the morning page, at the top of every other view.
    var form = S.$("filters");
    var target = S.state.view === "morning" ? S.$("filters-slot") : document.querySelector("main");
    if (form.parentNode !== target) target.insertBefore(form, target.firstChild);
    // The Profile tab reads the cluster filter alone: it keeps that one, or no form without clusters.
    var profile = S.state.view === "profile";
    form.classList.toggle("cluster-only", profile);
    form.hidden = profile && !form.elements.namedItem("cluster");
  }

  function syncForm() {
    var form = S.$("filters");
    S.FILTER_KEYS.forEach(function (key) {
      var input = form.elements.namedItem(key);
      if (input && input.value !== S.state[key]) input.value = S.state[key];
    });
    document.querySelectorAll('[role="tab"]').forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.getAttribute("data-view") === S.state.view));
    });
    document.querySelectorAll('[role="tabpanel"]').forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-panel") !== S.state.view;
    });
    document.documentElement.setAttribute("data-view", S.state.view);
    placeFilters();
  }

  function withoutReruns(runs) {
    // A -k rerun of two scenarios would read as a drop in every trend: the trends leave reruns out
    // (report/site.py marks them, history/selection.is_rerun), unless every run is one.
    var kept = runs.filter(function (r) { return !S.RUNS[r].rerun; });
    var note = S.$("trends-reruns");
    var left = runs.length - kept.length;
    note.hidden = !left || !kept.length;
    note.textContent = note.hidden ? "" : S.plural(left, "rerun") + " (narrowed by -k, -m, node ids, --deselect, --lf or" +
      " --sw) left out: a few scenarios would read as a drop. The test grid shows them.";
    return kept.length ? kept : runs;
  }

  function render() {
    var started = performance.now();
    S.stats.renders++;
    syncForm();
    var runs = S.visibleRuns();
    var view = S.state.view;
    var latest = runs.length ? S.RUNS[runs[runs.length - 1]] : null;
    S.showBanner(Boolean(latest && latest.emulated));
    if (view === "morning") {
      // The trends ignore status, category and change (they plot every outcome) but follow the rest.
      var saved = [S.state.status, S.state.cat, S.state.chg];
      S.state.status = S.state.cat = S.state.chg = "";
      var chartTests = S.filteredTests(runs);
      S.state.status = saved[0];
      S.state.cat = saved[1];
      S.state.chg = saved[2];
      S.showBanner(S.RUNS.length > 0 && S.RUNS[S.RUNS.length - 1].emulated);
      S.showMorningClusters();
      S.renderTrends(withoutReruns(runs), chartTests);
    } else if (view === "grid") S.renderGrid(gridGroups(runs));
    else if (view === "run") S.renderRun(runs);
    else if (view === "profile") S.renderProfile(runs);
    else S.renderCompare(runs, S.filteredTests(runs));
    S.stats.lastRenderMs = performance.now() - started;
    if (!S.stats.firstRenderAt) {
      S.stats.firstRenderAt = performance.now(); // ms since navigation start
      requestAnimationFrame(function () {
        setTimeout(function () { S.stats.firstFrameAt = performance.now(); }, 0); // laid out and painted
      });
    }
    document.documentElement.setAttribute("data-ready", view);
    document.documentElement.setAttribute("data-renders", String(S.stats.renders));
  }

  function gridGroups(runs) {
    // One group per cluster, each filtered against its own runs ("new since the previous run" too).
    var groups = S.runGroups(runs);
    if (!groups.length) groups = [{ cluster: null, runs: runs }];
    return groups.map(function (g) { return { cluster: g.cluster, runs: g.runs, tests: S.filteredTests(g.runs) }; });
  }

  S.commit = function () {
    S.writeState();
    render();
  };

  function openRun(r) {
    S.state.view = "run";
    S.state.run = S.RUNS[r].id;
    S.state.open = "";
    S.commit();
  }

  function tipForCell(cell) {
    var row = cell.parentNode;
    var t = S.TEST_INDEX[row.getAttribute("data-key")];
    var r = S.runIndexById(cell.getAttribute("data-run"));
    if (t === undefined || r < 0) return "";
    var code = S.CELLS[t].charAt(r);
    var cat = S.FAILING[code] ? S.catAt(t, r) : "";
    return S.TESTS[t].n + " · " + S.runName(S.RUNS[r]) + " · " + S.STATUS_OF[code] + (cat ? " · " + S.categoryLabel(cat) : "");
  }

  function tipFor(mark) {
    // The tooltip of a chart mark or grid cell, made on hover from its run and its group's series or category.
    if (mark.getAttribute("data-testid") === "grid-cell") return tipForCell(mark);
    var r = mark.getAttribute("data-run");
    if (r === null || !S.RUNS[r]) return "";
    var group = mark.parentNode;
    var series = group.getAttribute("data-series");
    var run = S.RUNS[r];
    if (series) {
      var y = mark.__data__ ? mark.__data__[series] : 0;
      return S.runName(run) + " · " + SERIES_LABEL[series] + ": " + (series === "passrate" ? y.toFixed(1) + "%" : y) +
        (run.gate ? " · " + run.gate.status + ", " + run.gate.text : "");
    }
    var cat = group.getAttribute("data-category");
    return S.runName(run) + " · " + S.categoryLabel(cat) + ": " + mark.getAttribute("data-count");
  }

  function initTooltip() {
    var tip = S.el("div", { className: "tooltip", testid: "tooltip", role: "tooltip", hidden: true });
    document.body.appendChild(tip);
    S.$("trends").addEventListener("click", function (event) {
      var r = event.target.getAttribute && event.target.getAttribute("data-run");
      if (r !== null && r !== undefined && S.RUNS[r]) openRun(Number(r));
    });
    var panel = document.querySelector("main");
    panel.addEventListener("mouseover", function (event) {
      var text = event.target.getAttribute && event.target.getAttribute("data-run") !== null ? tipFor(event.target) : "";
      if (!text) return;
      tip.textContent = text;
      tip.hidden = false;
    });
    panel.addEventListener("mousemove", function (event) {
      tip.style.left = Math.min(event.pageX + 12, document.documentElement.scrollWidth - 320) + "px";
      tip.style.top = event.pageY + 14 + "px";
    });
    panel.addEventListener("mouseout", function (event) {
      if (event.target.getAttribute && event.target.getAttribute("data-run") !== null) tip.hidden = true;
    });
  }

  function on(testid, type, handler) {
    var node = S.$(testid);
    if (node) node.addEventListener(type, handler);
  }

  function init() {
    S.load();
    S.state = S.readState();
    initTooltip();
    var form = S.$("filters");
    function fromForm(event) {
      var name = event.target.name;
      if (S.FILTER_KEYS.indexOf(name) < 0 || S.state[name] === event.target.value) return;
      S.state[name] = event.target.value;
      S.commit();
    }
    form.addEventListener("input", fromForm);
    form.addEventListener("change", fromForm);
    form.addEventListener("reset", function (event) {
      event.preventDefault();
      S.FILTER_KEYS.forEach(function (key) { S.state[key] = ""; });
      S.commit();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    document.querySelectorAll('[role="tab"]').forEach(function (tab) {
      tab.addEventListener("click", function () {
        S.state.view = tab.getAttribute("data-view");
        S.commit();
      });
    });
    on("run-select", "change", function (event) {
      S.state.run = event.target.value;
      S.state.open = "";
      S.commit();
    });
    var profile = document.querySelector('[data-panel="profile"]');
    if (profile) {
      profile.addEventListener("click", function (event) {
        var r = event.target.getAttribute && event.target.getAttribute("data-run");
        if (r === null || r === undefined || !S.RUNS[r]) return;
        S.state.run = S.RUNS[r].id;
        S.commit();
      });
    }
    on("profile-run-select", "change", function (event) { S.state.run = event.target.value; S.commit(); });
    on("compare-base", "change", function (event) { S.state.a = event.target.value; S.commit(); });
    on("compare-head", "change", function (event) { S.state.b = event.target.value; S.commit(); });
    on("grid", "click", function (event) {
      var cell = event.target.closest('[data-testid="grid-cell"]');
      if (!cell) return;
      var row = cell.closest('[data-testid="grid-row"]');
      S.state.view = "run";
      S.state.run = cell.getAttribute("data-run");
      S.state.open = row ? row.getAttribute("data-key") : "";
      S.commit();
    });
    window.addEventListener("resize", function () {
      var width = S.$("chart-counts").clientWidth;
      if (width && Math.abs(width - S.chartWidth) > 40 && S.state.view === "morning") {
        S.chartWidth = width;
        render();
      }
    });
    window.addEventListener("hashchange", function () {
      S.state = S.readState();
      render();
    });
    render();
  }

  // index.html loads this after its first paint (the morning page needs no script).
  init();
})();

/* pytest-streamstress dashboard: plain JavaScript, no build step.
 *
 * Reads the compact history index embedded in index.html (runs + test x run outcome matrix) and
 * fetches a run's full results.json only when the run view needs it. Every filter and the view
 * live in the URL hash, so a copied URL reopens the same view. Data from results.json is only ever
 * put into the page with textContent / d3 .text(), never innerHTML: a failure message holding
 * markup is shown, not executed.
 */
(function () {
  "use strict";

  var INDEX = JSON.parse(document.getElementById("streamstress-index").textContent);
  var RUNS = INDEX.runs;
  var TESTS = INDEX.tests;
  var CELLS = INDEX.cells;
  var CATS = INDEX.cats;
  var ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  var CATEGORY_IDS = INDEX.categories.map(function (c) { return c.id; });
  var CATEGORY_LABEL = {};
  INDEX.categories.forEach(function (c) { CATEGORY_LABEL[c.id] = c.label; });
  var STATUS_OF = { P: "passed", K: "flaky", F: "failed", E: "error", S: "skipped", "-": "not run" };
  var FAILING = { F: true, E: true };
  var PASSING = { P: true, K: true };
  var FILTER_KEYS = ["cat", "status", "comp", "tag", "from", "to", "q"];
  var STATE_KEYS = ["view"].concat(FILTER_KEYS, ["run", "a", "b", "open", "cols"]);
  var VIEWS = ["overview", "grid", "run", "compare", "profile"];
  var DEFAULT_COLUMNS = 60;
  var COLORS = { passed: "#1a7f37", failed: "#cf222e", error: "#8250df", passrate: "#0969da" };
  var CATEGORY_COLORS = ["#cf222e", "#bc4c00", "#8250df", "#0969da", "#1a7f37", "#9a6700", "#bf3989", "#57606a"];

  var COMPONENT_NAMES = [];
  RUNS.forEach(function (run) {
    run.components.forEach(function (c) {
      if (COMPONENT_NAMES.indexOf(c.name) < 0) COMPONENT_NAMES.push(c.name);
    });
  });

  // Per-test facts computed once: components (a spec path segment or tag naming it) and search text.
  var TEST_INFO = TESTS.map(function (t) {
    var words = {};
    t.s.toLowerCase().split(/[\/\\._-]/).concat(t.t.map(function (x) { return x.toLowerCase(); }))
      .forEach(function (w) { words[w] = true; });
    var comps = COMPONENT_NAMES.filter(function (name) {
      var n = name.toLowerCase();
      return words[n] || words[n + "s"];
    });
    return { comps: comps, text: (t.k + " " + t.s + " " + t.n).toLowerCase() };
  });

  var state = {};
  var detailsCache = {};
  var stats = { renders: 0, lastRenderMs: 0, firstRenderAt: 0, firstFrameAt: 0 };
  window.__streamstress = stats;

  // ------------------------------------------------------------------ helpers

  function $(testid, root) {
    return (root || document).querySelector('[data-testid="' + testid + '"]');
  }

  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) return;
        if (key === "text") node.textContent = value;
        else if (key === "testid") node.setAttribute("data-testid", value);
        else if (key === "className") node.className = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function safeUrl(url) {
    // Links come from results.json: only http(s) ones become links (no javascript: URLs).
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function link(url, text, testid) {
    var href = safeUrl(url);
    if (!href) return el("span", { text: text, testid: testid });
    return el("a", { href: href, text: text, testid: testid, rel: "noopener noreferrer", target: "_blank" });
  }

  function repoBase(repo) {
    return (repo || "").replace(/\.git$/, "").replace(/\/+$/, "");
  }

  function shortSha(sha) { return (sha || "").slice(0, 12); }
  function day(iso) { return (iso || "").slice(0, 10); }
  var RUNS_PER_DAY = {};
  RUNS.forEach(function (run) { var d = day(run.started_at); RUNS_PER_DAY[d] = (RUNS_PER_DAY[d] || 0) + 1; });
  // A run's date, with its time when the day had more runs (reruns in one morning look alike otherwise).
  function when(run, short) {
    var d = day(run.started_at);
    var text = short ? d.slice(5) : d;
    return RUNS_PER_DAY[d] > 1 ? text + " " + run.started_at.slice(11, 16) : text;
  }
  function runName(run) {
    return day(run.started_at) + " " + run.started_at.slice(11, 16) + (run.label ? " · " + run.label : "") +
      (run.emulated ? " · emulated" : "");
  }
  function duration(seconds) {
    var s = Math.round(seconds || 0);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function catAt(t, r) {
    var ch = CATS[t].charAt(r);
    return ch === "." ? "" : CATEGORY_IDS[ALPHABET.indexOf(ch)];
  }

  // ------------------------------------------------------------------ state <-> URL

  function readState() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var next = {};
    STATE_KEYS.forEach(function (key) { next[key] = params.get(key) || ""; });
    if (VIEWS.indexOf(next.view) < 0) next.view = "overview";
    return next;
  }

  function writeState() {
    var params = new URLSearchParams();
    STATE_KEYS.forEach(function (key) {
      if (state[key] && !(key === "view" && state[key] === "overview")) params.set(key, state[key]);
    });
    var hash = params.toString();
    var url = location.pathname + location.search + (hash ? "#" + hash : "");
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, "", url);
  }

  function syncForm() {
    var form = $("filters");
    FILTER_KEYS.forEach(function (key) {
      var input = form.elements.namedItem(key);
      if (input && input.value !== state[key]) input.value = state[key];
    });
    document.querySelectorAll('[role="tab"]').forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.getAttribute("data-view") === state.view));
    });
    document.querySelectorAll('[role="tabpanel"]').forEach(function (panel) {
      panel.hidden = panel.getAttribute("data-panel") !== state.view;
    });
  }

  // ------------------------------------------------------------------ filtering (pure over the index)

  function visibleRuns() {
    // Indices of the runs inside the date range, oldest first.
    var out = [];
    for (var r = 0; r < RUNS.length; r++) {
      var d = day(RUNS[r].started_at);
      if (state.from && d < state.from) continue;
      if (state.to && d > state.to) continue;
      out.push(r);
    }
    return out;
  }

  function latestCell(t, runs) {
    for (var i = runs.length - 1; i >= 0; i--) {
      var code = CELLS[t].charAt(runs[i]);
      if (code !== "-") return { code: code, run: runs[i] };
    }
    return null;
  }

  function isFlaky(t, runs) {
    var flips = 0;
    var last = "";
    for (var i = 0; i < runs.length; i++) {
      var code = CELLS[t].charAt(runs[i]);
      if (code === "K") return true;
      var kind = PASSING[code] ? "p" : FAILING[code] ? "f" : "";
      if (!kind) continue;
      if (last && kind !== last) flips++;
      last = kind;
    }
    return flips >= 2;
  }

  function failingSince(t, runs) {
    // Oldest run of the current failing streak, or -1 if the test does not fail now.
    var since = -1;
    for (var i = runs.length - 1; i >= 0; i--) {
      var code = CELLS[t].charAt(runs[i]);
      if (code === "-") continue;
      if (!FAILING[code]) break;
      since = runs[i];
    }
    return since;
  }

  function matchesTestFilters(t) {
    if (state.comp && TEST_INFO[t].comps.indexOf(state.comp) < 0) return false;
    if (state.tag && TESTS[t].t.indexOf(state.tag) < 0) return false;
    if (state.q && TEST_INFO[t].text.indexOf(state.q.toLowerCase()) < 0) return false;
    return true;
  }

  function filteredTests(runs) {
    // Status and category judge a test by its latest outcome in the range ("what is failing now").
    var out = [];
    for (var t = 0; t < TESTS.length; t++) {
      if (!matchesTestFilters(t)) continue;
      if (state.status || state.cat) {
        var latest = latestCell(t, runs);
        if (!latest) continue;
        if (state.status === "flaky") {
          if (!isFlaky(t, runs)) continue;
        } else if (state.status && STATUS_OF[latest.code] !== state.status &&
                   !(state.status === "passed" && latest.code === "K")) {
          continue;
        }
        if (state.cat && catAt(t, latest.run) !== state.cat) continue;
      }
      out.push(t);
    }
    return out;
  }

  // ------------------------------------------------------------------ overview: cards + d3 charts

  function perRunCounts(runs, tests) {
    return runs.map(function (r) {
      var c = { run: r, date: new Date(RUNS[r].started_at), passed: 0, failed: 0, error: 0, skipped: 0, cats: {} };
      for (var i = 0; i < tests.length; i++) {
        var t = tests[i];
        var code = CELLS[t].charAt(r);
        if (PASSING[code]) c.passed++;
        else if (code === "F") c.failed++;
        else if (code === "E") c.error++;
        else if (code === "S") c.skipped++;
        if (FAILING[code]) {
          var cat = catAt(t, r) || "uncategorized";
          c.cats[cat] = (c.cats[cat] || 0) + 1;
        }
      }
      var judged = c.passed + c.failed + c.error;
      c.passrate = judged ? (100 * c.passed) / judged : 0;
      return c;
    });
  }

  var chartWidth = 0; // measured once per render: reading layout per chart would force a reflow each time

  function chartFrame(container, height) {
    var width = Math.max(480, chartWidth || 900);
    var margin = { top: 12, right: 20, bottom: 28, left: 44 };
    var svg = d3.select(container).append("svg")
      .attr("viewBox", "0 0 " + width + " " + height)
      .attr("width", "100%").attr("role", "img");
    return { svg: svg, width: width, height: height, margin: margin };
  }

  function timeScale(frame, data) {
    var extent = d3.extent(data, function (d) { return d.date; });
    if (extent[0] && extent[0].getTime() === extent[1].getTime()) {
      extent = [new Date(extent[0].getTime() - 43200000), new Date(extent[1].getTime() + 43200000)];
    }
    return d3.scaleUtc().domain(extent).range([frame.margin.left, frame.width - frame.margin.right]);
  }

  function yAxis(group, frame, y, yFormat) {
    group.call(d3.axisLeft(y).ticks(5).tickFormat(yFormat || null));
    group.selectAll("line.gridline").remove();
    group.selectAll(".tick line").clone().attr("class", "gridline")
      .attr("x2", frame.width - frame.margin.left - frame.margin.right).attr("stroke-opacity", 0.08);
  }

  // Run times on the x axis: whole seconds at least (runs never start a fraction apart that matters),
  // labelled by the span shown: dates for nightly histories, clock times for runs within a day.
  function timeAxis(frame, x) {
    var domain = x.domain();
    var span = domain[1] - domain[0];
    var ticks = x.ticks(Math.min(10, frame.width / 90)).filter(function (t) { return t.getUTCMilliseconds() === 0; });
    var format = d3.utcFormat(span >= 2 * 86400000 ? "%b %d" : span >= 2 * 3600000 ? "%b %d %H:%M" : "%H:%M:%S");
    return d3.axisBottom(x).tickValues(ticks).tickFormat(format).tickSizeOuter(0);
  }

  function axes(frame, x, y, yFormat) {
    frame.svg.append("g").attr("class", "axis")
      .attr("transform", "translate(0," + (frame.height - frame.margin.bottom) + ")")
      .call(timeAxis(frame, x));
    var left = frame.svg.append("g").attr("class", "axis").attr("transform", "translate(" + frame.margin.left + ",0)");
    yAxis(left, frame, y, yFormat);
    return left;
  }

  function legend(container, entries) {
    var box = el("div", { className: "legend" });
    entries.forEach(function (e) {
      var swatch = e.hollow ? el("i", { className: "hollow" }) : el("i", { style: "background:" + e.color });
      box.appendChild(el("span", { className: "key" }, swatch, e.label));
    });
    container.appendChild(box);
  }

  function openRun(r) {
    state.view = "run";
    state.run = RUNS[r].id;
    state.open = "";
    commit();
  }

  // Chart marks carry only geometry and `data-run`; colour comes from their group, the tooltip text
  // is made on hover and clicks are delegated: 365 runs x 4 series must redraw within a filter's budget.
  var SERIES_LABEL = { passed: "passed", failed: "failed", error: "error", passrate: "pass rate",
    max_parallel: "safe parallel specs" };

  function drawLines(container, data, series, yMax, yFormat, legendEntries) {
    // Same runs and width as the chart on screen: move the points instead of rebuilding the chart
    // (a search or tag filter on 365 runs then costs a few thousand attribute updates, not new nodes).
    var key = chartWidth + "|" + series.map(function (s) { return s.key; }).join() + "|" +
      data.map(function (d) { return d.run; }).join();
    var chart = container.__chart;
    if (!chart || chart.key !== key) {
      clear(container);
      var frame = chartFrame(container, 220);
      var x = timeScale(frame, data);
      var y = d3.scaleLinear().range([frame.height - frame.margin.bottom, frame.margin.top]);
      chart = { key: key, frame: frame, x: x, y: y, paths: [], groups: [] };
      y.domain([0, yMax || 1]).nice();
      chart.axis = axes(frame, x, y, yFormat);
      series.forEach(function (s) {
        chart.paths.push(frame.svg.append("path").attr("fill", "none").attr("stroke", s.color).attr("stroke-width", 1.6));
        chart.groups.push(frame.svg.append("g").attr("data-testid", "series-" + s.key).attr("data-series", s.key)
          .attr("class", "points" + (data.length > 120 ? " dense" : "")).attr("fill", s.color).attr("stroke", s.color));
      });
      legend(container, legendEntries);
      container.__chart = chart;
    } else {
      chart.y.domain([0, yMax || 1]).nice();
      yAxis(chart.axis, chart.frame, chart.y, yFormat);
    }
    series.forEach(function (s, i) {
      chart.paths[i].datum(data)
        .attr("d", d3.line().x(function (d) { return chart.x(d.date); }).y(function (d) { return chart.y(d[s.key]); }));
      chart.groups[i].selectAll("circle").data(data).join(function (enter) {
        return enter.append("circle")
          .attr("class", function (d) { return RUNS[d.run].emulated ? "point emulated" : "point"; })
          .attr("data-run", function (d) { return d.run; })
          .attr("cx", function (d) { return chart.x(d.date); });
      }).attr("cy", function (d) { return chart.y(d[s.key]); });
    });
  }

  function drawCategories(container, data) {
    var cats = CATEGORY_IDS.slice();
    data.forEach(function (d) { if (d.cats.uncategorized && cats.indexOf("uncategorized") < 0) cats.push("uncategorized"); });
    if (state.cat) cats = cats.filter(function (c) { return c === state.cat; });
    var color = function (c) { return CATEGORY_COLORS[CATEGORY_IDS.indexOf(c) % CATEGORY_COLORS.length] || "#6e7781"; };
    var stacked = d3.stack().keys(cats).value(function (d, key) { return d.cats[key] || 0; })(data);
    var frame = chartFrame(container, 200);
    var x = timeScale(frame, data);
    var yMax = d3.max(stacked.length ? stacked[stacked.length - 1] : [], function (d) { return d[1]; }) || 1;
    var y = d3.scaleLinear().domain([0, yMax]).nice().range([frame.height - frame.margin.bottom, frame.margin.top]);
    axes(frame, x, y);
    var plotWidth = frame.width - frame.margin.left - frame.margin.right;
    var barWidth = Math.max(1.5, Math.min(14, (plotWidth / Math.max(1, data.length)) * 0.7));
    frame.svg.append("g").selectAll("g").data(stacked).join("g")
      .attr("fill", function (layer) { return color(layer.key); })
      .attr("data-category", function (layer) { return layer.key; })
      .selectAll("rect").data(function (layer) { return layer.filter(function (d) { return d[1] > d[0]; }); }).join("rect")
      .attr("data-testid", "category-bar")
      .attr("data-run", function (d) { return d.data.run; })
      .attr("data-count", function (d) { return d[1] - d[0]; })
      .attr("x", function (d) { return x(d.data.date) - barWidth / 2; })
      .attr("y", function (d) { return y(d[1]); })
      .attr("height", function (d) { return y(d[0]) - y(d[1]); })
      .attr("width", barWidth);
    legend(container, cats.map(function (c) { return { label: CATEGORY_LABEL[c] || c, color: color(c) }; }));
  }

  function tipForCell(cell) {
    var row = cell.parentNode;
    var t = TEST_INDEX[row.getAttribute("data-key")];
    var r = runIndexById(cell.getAttribute("data-run"));
    if (t === undefined || r < 0) return "";
    var code = CELLS[t].charAt(r);
    var cat = FAILING[code] ? catAt(t, r) : "";
    return TESTS[t].n + " · " + runName(RUNS[r]) + " · " + STATUS_OF[code] + (cat ? " · " + (CATEGORY_LABEL[cat] || cat) : "");
  }

  function tipFor(mark) {
    // The tooltip of a chart mark or grid cell, made on hover from its run and its group's series or category.
    if (mark.getAttribute("data-testid") === "grid-cell") return tipForCell(mark);
    var r = mark.getAttribute("data-run");
    if (r === null || !RUNS[r]) return "";
    var group = mark.parentNode;
    var series = group.getAttribute("data-series");
    if (series) {
      var y = mark.__data__ ? mark.__data__[series] : 0;
      return runName(RUNS[r]) + " · " + SERIES_LABEL[series] + ": " + (series === "passrate" ? y.toFixed(1) + "%" : y);
    }
    var cat = group.getAttribute("data-category");
    return runName(RUNS[r]) + " · " + (CATEGORY_LABEL[cat] || cat) + ": " + mark.getAttribute("data-count");
  }

  function renderOverview(runs, tests) {
    var data = perRunCounts(runs, tests);
    var cards = clear($("summary-cards"));
    var last = data[data.length - 1];
    var lastRun = last ? RUNS[last.run] : null;
    function card(label, value, cls, testid) {
      cards.appendChild(el("div", { className: "card " + (cls || ""), testid: testid },
        el("span", { className: "value", text: String(value) }), el("span", { className: "label", text: label })));
    }
    card("runs shown", runs.length, "", "card-runs");
    card("tests shown", tests.length, "", "card-tests");
    if (last) {
      card("passed (latest)", last.passed, "ok", "card-passed");
      card("failed (latest)", last.failed, "bad", "card-failed");
      card("error (latest)", last.error, "err", "card-error");
      card("pass rate (latest)", last.passrate.toFixed(1) + "%", "", "card-passrate");
      card("latest run", runName(lastRun), "wide", "card-latest");
    }
    if (!chartWidth) chartWidth = $("chart-counts").clientWidth; // re-measured on resize only
    var counts = $("chart-counts");
    var rate = $("chart-passrate");
    var cats = clear($("chart-categories"));
    if (!data.length) {
      [counts, rate].forEach(function (c) { clear(c).__chart = null; });
      counts.appendChild(el("p", { className: "hint", text: "No runs in this date range." }));
      return;
    }
    var series = [
      { key: "passed", label: "passed", color: COLORS.passed },
      { key: "failed", label: "failed", color: COLORS.failed },
      { key: "error", label: "error", color: COLORS.error },
    ];
    drawLines(counts, data, series, d3.max(data, function (d) { return Math.max(d.passed, d.failed, d.error); }), null,
      series.concat([{ label: "hollow point: emulated run", hollow: true }]));
    drawLines(rate, data, [{ key: "passrate", label: "pass rate", color: COLORS.passrate }], 100,
      function (v) { return v + "%"; }, []);
    drawCategories(cats, data);
  }

  // ------------------------------------------------------------------ grid (TestGrid-like)

  function renderGrid(runs, tests) {
    var limit = parseInt(state.cols, 10) || DEFAULT_COLUMNS;
    var cols = runs.slice(Math.max(0, runs.length - limit)).reverse(); // newest first, like TestGrid
    var table = clear($("grid"));
    var head = el("tr", null, el("th", { className: "name", scope: "col", text: "Test" }));
    cols.forEach(function (r) {
      var run = RUNS[r];
      head.appendChild(el("th", {
        scope: "col", className: "col" + (run.emulated ? " emulated" : ""), title: runName(run) + "\n" + run.id,
        testid: "grid-column", "data-run": run.id,
      }, el("span", { text: when(run, true) })));
    });
    table.appendChild(el("thead", null, head));
    // Failing now first (longest streak first), then flaky, then the rest by name.
    var rows = tests.map(function (t) {
      return { t: t, since: failingSince(t, runs), flaky: isFlaky(t, runs) };
    });
    rows.sort(function (a, b) {
      var fa = a.since >= 0 ? 0 : a.flaky ? 1 : 2;
      var fb = b.since >= 0 ? 0 : b.flaky ? 1 : 2;
      if (fa !== fb) return fa - fb;
      if (fa === 0 && a.since !== b.since) return a.since - b.since;
      return TESTS[a.t].s < TESTS[b.t].s ? -1 : TESTS[a.t].s > TESTS[b.t].s ? 1 :
        TESTS[a.t].n < TESTS[b.t].n ? -1 : TESTS[a.t].n > TESTS[b.t].n ? 1 : 0;
    });
    var body = document.createElement("tbody");
    rows.forEach(function (row) {
      var t = row.t;
      var test = TESTS[t];
      var name = el("th", { scope: "row", className: "name", title: test.k },
        el("span", { className: "scenario", text: test.n }), el("span", { className: "spec", text: test.s }));
      if (row.flaky) name.appendChild(el("span", { className: "badge flaky", testid: "flaky-badge", text: "flaky" }));
      if (row.since >= 0) {
        name.appendChild(el("span", {
          className: "badge failing", testid: "failing-since", "data-run": RUNS[row.since].id,
          text: "failing since " + when(RUNS[row.since], false),
        }));
      }
      var tr = el("tr", { testid: "grid-row", "data-key": test.k }, name);
      var cells = CELLS[t];
      for (var i = 0; i < cols.length; i++) {
        var r = cols[i];
        var code = cells.charAt(r);
        var td = document.createElement("td");
        td.className = "cell c-" + (code === "-" ? "none" : code);
        td.setAttribute("data-testid", "grid-cell");
        td.setAttribute("data-status", STATUS_OF[code]);
        td.setAttribute("data-run", RUNS[r].id);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    table.appendChild(body);
    $("grid-caption").textContent = tests.length + " tests × " + cols.length + " runs (newest left" +
      (runs.length > cols.length ? "; " + (runs.length - cols.length) + " older runs hidden, narrow the date range to see them" : "") +
      "). Click a cell to open that run.";
  }

  // ------------------------------------------------------------------ run view (lazy details)

  function runIndexById(id) {
    for (var r = 0; r < RUNS.length; r++) if (RUNS[r].id === id) return r;
    return -1;
  }

  function fillRunSelect(select, runs, chosen) {
    clear(select);
    for (var i = runs.length - 1; i >= 0; i--) {
      var run = RUNS[runs[i]];
      select.appendChild(el("option", { value: run.id, text: runName(run) + " · " + run.counts.failed + " failed" }));
    }
    if (chosen) select.value = chosen;
  }

  function loadDetails(r) {
    var id = RUNS[r].id;
    if (!detailsCache[id]) {
      detailsCache[id] = fetch(RUNS[r].file).then(function (response) {
        if (!response.ok) throw new Error(RUNS[r].file + ": HTTP " + response.status);
        return response.json();
      });
    }
    return detailsCache[id];
  }

  function scenarioKey(s) {
    // Same rule as history.case_key / results_json.stable_id: the writer's id, else spec + case id or heading.
    if (s.id) return s.id;
    var found = /\b([A-Z][A-Z0-9]+-\d+-TC-?\d+)\b/.exec(s.scenario);
    return s.spec + "::" + (found ? found[1] : s.scenario);
  }

  function scenarioMatches(s) {
    var key = scenarioKey(s);
    var t = TEST_INDEX[key];
    if (state.comp && (t === undefined || TEST_INFO[t].comps.indexOf(state.comp) < 0)) return false;
    if (state.tag && (s.tags || []).indexOf(state.tag) < 0) return false;
    if (state.status === "flaky" ? !s.flaky : state.status && s.status !== state.status) return false;
    if (state.cat && s.category !== state.cat) return false;
    if (state.q) {
      var q = state.q.toLowerCase();
      var hay = (key + " " + s.spec + " " + s.scenario + " " + (s.message || "") + " " + (s.category || "")).toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    return true;
  }

  var TEST_INDEX = {};
  TESTS.forEach(function (t, i) { TEST_INDEX[t.k] = i; });

  function renderRunHeader(run) {
    var header = clear($("run-header"));
    var c = run.counts;
    // "passed" means no gating failure (--fail-on): say so when scenarios failed, or the pill reads as all green.
    var ungated = run.status === "passed" ? c.failed + c.error : 0;
    header.appendChild(el("h2", { testid: "run-title" },
      el("span", { className: "status s-" + run.status, text: ungated ? "passed (gate)" : run.status }),
      " " + runName(run)));
    if (ungated) {
      header.appendChild(el("p", { className: "hint", testid: "run-gate-note",
        text: ungated + " failing scenario(s) did not fail this run: their categories are outside its --fail-on." }));
    }
    header.appendChild(el("p", { className: "meta", testid: "run-meta",
      text: run.id + " · " + c.total + " scenarios: " + c.passed + " passed, " + c.failed + " failed, " + c.error +
        " error, " + c.skipped + " skipped, " + c.flaky + " flaky · " + duration(run.duration_s) +
        (run.errors ? " · " + run.errors + " run error(s)" : "") +
        (run.trimmed ? " · details trimmed by the history budget (" + run.trimmed + ")" : "") }));
    var comps = clear($("run-components"));
    comps.appendChild(el("tr", null, el("th", { text: "Component" }), el("th", { text: "Ref" }), el("th", { text: "Commit" }),
      el("th", { text: "Subject" }), el("th", { text: "Build" })));
    if (!run.components.length) {
      comps.appendChild(el("tr", null, el("td", { colspan: "5", className: "hint", text: "No components were built in this run." })));
    }
    run.components.forEach(function (comp) {
      var base = repoBase(comp.repo);
      comps.appendChild(el("tr", { testid: "component-row" },
        el("td", null, link(base, comp.name)),
        el("td", { text: comp.ref || "default branch" }),
        el("td", null, comp.sha ? link(base + "/commit/" + comp.sha, shortSha(comp.sha), "commit-link") : el("span", { text: "—" })),
        el("td", { text: comp.subject }),
        el("td", { text: comp.status })));
    });
  }

  function detailBlock(label, value, testid, pre) {
    if (value === undefined || value === null || value === "") return null;
    return el("div", { className: "detail" }, el("span", { className: "dlabel", text: label }),
      el(pre ? "pre" : "span", { testid: testid, text: String(value) }));
  }

  function scenarioRows(s, tbody) {
    var key = scenarioKey(s);
    var open = state.open === key;
    var row = el("tr", { testid: "run-row", className: "row s-" + s.status, "data-key": key, "data-status": s.status,
      "data-category": s.category || "", "aria-expanded": String(open), tabindex: "0" },
      el("td", null, el("span", { className: "status s-" + s.status, text: s.status }),
        s.flaky ? el("span", { className: "badge flaky", text: "flaky" }) : null),
      el("td", null, el("div", { className: "scenario", text: s.scenario }), el("div", { className: "spec", text: s.spec + ":" + s.line })),
      el("td", { text: s.category ? CATEGORY_LABEL[s.category] || s.category : "" }),
      el("td", { className: "num", text: (s.duration_s || 0).toFixed(1) + " s" }),
      el("td", { className: "num", text: String(s.retries || 0) }),
      el("td", null, s.known_issue ? link(s.known_issue, "issue", "known-issue") : null));
    function toggle() {
      state.open = state.open === key ? "" : key;
      commit();
    }
    row.addEventListener("click", toggle);
    row.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
    tbody.appendChild(row);
    if (!open) return;
    var step = s.failing_step ? s.failing_step.text + (s.failing_step.line ? " (line " + s.failing_step.line + ")" : "") : "";
    var detail = el("div", { className: "details" },
      detailBlock("Failing step", step, "detail-step"),
      detailBlock("Message", s.message, "detail-message", true),
      detailBlock("Category", s.category ? (CATEGORY_LABEL[s.category] || s.category) : "", "detail-category"),
      detailBlock("Matched rule", s.category_rule, "detail-rule"),
      detailBlock("Evidence" + (s.category_field ? " (" + s.category_field + ")" : ""), s.category_evidence, "detail-evidence", true),
      s.known_issue ? el("div", { className: "detail" }, el("span", { className: "dlabel", text: "Known issue" }), link(s.known_issue, s.known_issue)) : null,
      detailBlock("Tags", (s.tags || []).join(", "), "detail-tags"),
      detailBlock("Attempts", s.attempts, "detail-attempts"),
      detailBlock("Log", s.log_path, "detail-log"),
      detailBlock("Trace", s.trace, "detail-trace", true));
    tbody.appendChild(el("tr", { testid: "run-row-detail", className: "detail-row" }, el("td", { colspan: "6" }, detail)));
  }

  function renderRun(runs) {
    var select = $("run-select");
    if (!runs.length) {
      clear(select);
      clear($("run-header")).appendChild(el("p", { className: "hint", text: "No runs in this date range." }));
      clear($("run-table"));
      clear($("run-components"));
      $("run-status").textContent = "";
      clear($("run-analysis")).hidden = true;
      return;
    }
    var r = runIndexById(state.run);
    if (r < 0) r = runs[runs.length - 1];
    fillRunSelect(select, runs.indexOf(r) >= 0 ? runs : runs.concat([r]).sort(function (a, b) { return a - b; }), RUNS[r].id);
    var run = RUNS[r];
    renderRunHeader(run);
    showBanner(run.emulated);
    var table = clear($("run-table"));
    clear($("run-errors"));
    clear($("run-analysis")).hidden = true;
    var status = $("run-status");
    status.textContent = "Loading " + run.file + " …";
    table.setAttribute("aria-busy", "true");
    var seq = stats.renders;
    loadDetails(r).then(function (results) {
      if (seq !== stats.renders) return; // a newer render took over
      clear(table);
      table.appendChild(el("thead", null, el("tr", null, el("th", { text: "Status" }), el("th", { text: "Scenario" }),
        el("th", { text: "Category" }), el("th", { text: "Duration" }), el("th", { text: "Retries" }), el("th", { text: "Known issue" }))));
      var order = { failed: 0, error: 1, skipped: 3, passed: 2 };
      var shown = (results.scenarios || []).filter(scenarioMatches).sort(function (a, b) {
        return (order[a.status] - order[b.status]) || (a.spec < b.spec ? -1 : a.spec > b.spec ? 1 : a.line - b.line);
      });
      var problems = clear($("run-errors"));
      (results.errors || []).forEach(function (problem) {
        problems.appendChild(el("li", { testid: "run-error" },
          el("span", { className: "badge failing", text: problem.phase + (problem.component ? " · " + problem.component : "") }),
          el("span", { text: problem.message })));
      });
      renderAnalysis(results);
      var tbody = document.createElement("tbody");
      shown.forEach(function (s) { scenarioRows(s, tbody); });
      table.appendChild(tbody);
      status.textContent = shown.length + " of " + (results.scenarios || []).length + " scenarios match the filters." +
        (run.trimmed ? " Messages and traces of this run were dropped by the history budget." : "");
      table.setAttribute("aria-busy", "false");
      table.setAttribute("data-loaded", run.id);
    }).catch(function (error) {
      if (seq !== stats.renders) return;
      status.textContent = "Cannot load " + run.file + " (" + error.message + "). Serve the site over HTTP to see run details.";
      table.setAttribute("aria-busy", "false");
    });
  }

  // ------------------------------------------------------------------ compare two runs

  function renderCompare(runs, tests) {
    var base = $("compare-base");
    var headSelect = $("compare-head");
    var b = runIndexById(state.b);
    if (b < 0) b = runs.length ? runs[runs.length - 1] : RUNS.length - 1;
    var a = runIndexById(state.a);
    if (a < 0) a = runs.length > 1 ? runs[runs.length - 2] : Math.max(0, b - 1);
    var choices = runs.slice();
    [a, b].forEach(function (x) { if (x >= 0 && choices.indexOf(x) < 0) choices.push(x); });
    choices.sort(function (x, y) { return x - y; });
    fillRunSelect(base, choices, RUNS[a] ? RUNS[a].id : "");
    fillRunSelect(headSelect, choices, RUNS[b] ? RUNS[b].id : "");
    var lists = { "new-failures": [], fixed: [], "still-failing": [] };
    if (a >= 0 && b >= 0) {
      tests.forEach(function (t) {
        var before = CELLS[t].charAt(a);
        var after = CELLS[t].charAt(b);
        if (FAILING[after] && !FAILING[before]) lists["new-failures"].push({ t: t, code: after, cat: catAt(t, b) });
        else if (FAILING[before] && PASSING[after]) lists.fixed.push({ t: t, code: after, cat: "" });
        else if (FAILING[before] && FAILING[after]) lists["still-failing"].push({ t: t, code: after, cat: catAt(t, b) });
      });
    }
    Object.keys(lists).forEach(function (id) {
      var ul = clear($(id));
      if (!lists[id].length) ul.appendChild(el("li", { className: "hint", text: "none" }));
      lists[id].forEach(function (item) {
        var test = TESTS[item.t];
        ul.appendChild(el("li", { testid: "compare-item", "data-key": test.k },
          el("span", { className: "status s-" + STATUS_OF[item.code], text: STATUS_OF[item.code] }), " ",
          el("span", { className: "scenario", text: test.n }), " ",
          el("span", { className: "spec", text: test.s }),
          item.cat ? el("span", { className: "badge", text: CATEGORY_LABEL[item.cat] || item.cat }) : null));
      });
    });
    renderCulprits(b);
    var table = clear($("compare-components"));
    table.appendChild(el("tr", null, el("th", { text: "Component" }), el("th", { text: "Older" }), el("th", { text: "Newer" }),
      el("th", { text: "Upstream changes" })));
    if (a < 0 || b < 0) return;
    var older = {};
    RUNS[a].components.forEach(function (c) { older[c.name] = c; });
    var names = RUNS[b].components.map(function (c) { return c.name; });
    RUNS[a].components.forEach(function (c) { if (names.indexOf(c.name) < 0) names.push(c.name); });
    names.filter(function (n) { return !state.comp || n === state.comp; }).forEach(function (name) {
      var oldC = older[name];
      var newC = RUNS[b].components.filter(function (c) { return c.name === name; })[0];
      var base = repoBase((newC || oldC).repo);
      var change;
      if (!oldC || !newC || !oldC.sha || !newC.sha) change = el("span", { text: "not built in both runs" });
      else if (oldC.sha === newC.sha) change = el("span", { className: "hint", text: "unchanged" });
      else change = link(base + "/compare/" + oldC.sha + "..." + newC.sha, shortSha(oldC.sha) + "…" + shortSha(newC.sha), "compare-range");
      table.appendChild(el("tr", { testid: "compare-component", "data-component": name },
        el("td", { text: name }),
        el("td", null, oldC && oldC.sha ? link(base + "/commit/" + oldC.sha, shortSha(oldC.sha)) : el("span", { text: "—" })),
        el("td", null, newC && newC.sha ? link(base + "/commit/" + newC.sha, shortSha(newC.sha)) : el("span", { text: "—" })),
        el("td", null, change)));
    });
  }

  // ------------------------------------------------------------------ analysis against the history (issue 10)

  function testLabel(key) {
    var t = TEST_INDEX[key];
    return t === undefined ? key : TESTS[t].n;
  }

  function runLabel(id) {
    var r = runIndexById(id);
    return r < 0 ? id : runName(RUNS[r]);
  }

  function percent(rate) { return (100 * (Number(rate) || 0)).toFixed(0) + "%"; }

  function testItem(key, testid) {
    var t = TEST_INDEX[key];
    var li = el("li", { testid: testid || "analysis-item", "data-key": key },
      el("span", { className: "scenario", text: testLabel(key) }));
    if (t !== undefined) li.appendChild(el("span", { className: "spec", text: " " + TESTS[t].s }));
    return li;
  }

  function analysisGroup(title, testid, items, make) {
    var list = el("ul", { testid: testid, "data-count": String(items.length) });
    if (!items.length) list.appendChild(el("li", { className: "hint", text: "none" }));
    items.forEach(function (item) { list.appendChild(make(item)); });
    return el("div", { className: "analysis-group" }, el("h3", { text: title + " (" + items.length + ")" }), list);
  }

  function clusterItem(cluster) {
    var members = cluster.members || [];
    var size = cluster.size || members.length;
    var memberList = el("ul", { className: "members" });
    members.forEach(function (key) { memberList.appendChild(testItem(key, "cluster-member")); });
    return el("li", { testid: "analysis-cluster", "data-size": String(size) },
      el("details", null,
        el("summary", { title: cluster.signature || "" },
          el("span", { className: "badge failing", testid: "cluster-size", text: size + " × " }),
          el("span", { className: "mono", text: cluster.example || cluster.signature || "" })),
        memberList));
  }

  function renderAnalysis(results) {
    var box = clear($("run-analysis"));
    var a = results.analysis;
    box.hidden = !a;
    if (!a) return;
    box.appendChild(el("h2", { text: "Compared with " + (a.history_runs || 0) + " earlier run(s)" }));
    box.appendChild(analysisGroup("New failures", "analysis-new-failures", a.new_failures || [], function (key) {
      return testItem(key);
    }));
    box.appendChild(analysisGroup("Still failing", "analysis-still-failing", a.still_failing || [], function (item) {
      var li = testItem(item.test);
      li.appendChild(el("span", { className: "badge failing", testid: "still-failing-since", "data-run": item.since,
        text: "since " + runLabel(item.since) + " · " + item.runs + " run(s)" }));
      return li;
    }));
    box.appendChild(analysisGroup("Fixed", "analysis-fixed", a.fixed || [], function (key) { return testItem(key); }));
    box.appendChild(analysisGroup("Flaky", "analysis-flaky", a.flaky || [], function (key) { return testItem(key); }));
    box.appendChild(analysisGroup("Regressions (pass rate, basis → recent)", "analysis-regressions", a.regressions || [],
      function (reg) {
        var li = testItem(reg.subject, "analysis-regression");
        var basis = reg.basis || [0, 0];
        var recent = reg.recent || [0, 0];
        li.appendChild(el("span", { className: "badge failing", testid: "regression-rates",
          text: percent(reg.basis_rate) + " (" + basis[0] + "/" + (basis[0] + basis[1]) + ") → " + percent(reg.recent_rate) +
            " (" + recent[0] + "/" + (recent[0] + recent[1]) + ") · p = " + Number(reg.p_value).toPrecision(2) }));
        return li;
      }));
    box.appendChild(analysisGroup("Failure clusters (one line per cause)", "analysis-clusters", a.clusters || [], clusterItem));
    box.appendChild(analysisGroup("Known failures", "analysis-known", a.known || [], function (known) {
      var li = testItem(known.test, "analysis-known-item");
      li.appendChild(document.createTextNode(" "));
      li.appendChild(link(known.issue, known.issue || "no issue link", "known-link"));
      if (known.reason) li.appendChild(el("span", { className: "hint", text: " " + known.reason }));
      if (known.stale) li.appendChild(el("span", { className: "badge failing", testid: "known-stale", text: "stale: entry expired" }));
      return li;
    }));
    (a.stale_known_entries || []).forEach(function (entry) {
      box.appendChild(el("p", { className: "hint", testid: "stale-known-entry" }, "Stale known-failures entry: ",
        link(entry.issue, entry.issue), entry.expired ? " (expired " + entry.expired + ")" : ""));
    });
  }

  // ------------------------------------------------------------------ culprit ranges in the comparison (issue 11)

  function culpritRange(range) {
    var base = repoBase(range.repo);
    var head = el("div", { className: "range-head" },
      el("strong", { text: range.component }), " ",
      el("span", { className: "mono", text: (shortSha(range.old) || "?") + ".." + (shortSha(range.new) || "?") }), " ",
      el("span", { className: "badge", testid: "culprit-state", text: range.state }));
    if (safeUrl(range.compare_url)) {
      head.appendChild(document.createTextNode(" "));
      head.appendChild(link(range.compare_url, "compare", "culprit-compare"));
    }
    var box = el("div", { className: "culprit-range", testid: "culprit-range", "data-component": range.component }, head);
    if (range.note) box.appendChild(el("p", { className: "hint", testid: "culprit-note", text: range.note }));
    var commits = (range.commits || []).slice().reverse(); // newest first, like git log
    if (commits.length) {
      var list = el("ul", { className: "commits" });
      commits.forEach(function (c) {
        list.appendChild(el("li", { testid: "culprit-commit", "data-sha": c.sha },
          link(base + "/commit/" + c.sha, shortSha(c.sha), "culprit-commit-link"), " ",
          el("span", { className: "hint", text: day(c.date) + " " + (c.author || "") }), " ",
          el("span", { text: c.subject || "" })));
      });
      box.appendChild(list);
      if (range.truncated) box.appendChild(el("p", { className: "hint", text: "Only the newest commits are listed." }));
    }
    return box;
  }

  function renderCulprits(b) {
    var list = clear($("compare-culprits"));
    var status = $("culprits-status");
    list.removeAttribute("data-loaded");
    if (b < 0 || !RUNS[b]) { status.textContent = ""; return; }
    status.textContent = "Loading " + RUNS[b].file + " …";
    var seq = stats.renders;
    loadDetails(b).then(function (results) {
      if (seq !== stats.renders) return;
      var culprits = results.analysis && results.analysis.culprits;
      if (!culprits) {
        status.textContent = "The newer run has no culprit ranges (they are computed with --history when a run has new failures or regressions).";
      } else {
        status.textContent = culprits.length ? culprits.length + " failing test(s) with a culprit range." :
          "No new failures or regressions to explain in the newer run.";
      }
      (culprits || []).forEach(function (culprit) {
        var item = el("li", { testid: "culprit", "data-key": culprit.test },
          el("div", null, el("span", { className: "scenario", text: testLabel(culprit.test) }),
            el("span", { className: "badge", text: culprit.reason }),
            el("span", { className: "hint", text: "between " + runLabel(culprit.good_run) + " (good) and " +
              runLabel(culprit.bad_run) + " (bad)" })));
        if ((culprit.ruled_out || []).length) {
          item.appendChild(el("p", { className: "hint", testid: "culprit-ruled-out",
            text: "Ruled out (unchanged): " + culprit.ruled_out.join(", ") }));
        }
        (culprit.components || []).forEach(function (range) { item.appendChild(culpritRange(range)); });
        list.appendChild(item);
      });
      list.setAttribute("data-loaded", RUNS[b].id);
    }).catch(function (error) {
      if (seq !== stats.renders) return;
      status.textContent = "Cannot load " + RUNS[b].file + " (" + error.message + ").";
    });
  }

  // ------------------------------------------------------------------ profile (issue 9)

  function mebibytes(bytes) { return ((Number(bytes) || 0) / 1048576).toFixed(1) + " MiB"; }

  var LIMIT_COLORS = { memory: "#8250df", cpu: "#bc4c00", pods: "#0969da" };

  function drawRecommendations(container, runs, selected) {
    clear(container).__chart = null;
    var data = [];
    runs.forEach(function (r) {
      var p = RUNS[r].profile;
      if (p && p.max_parallel !== null && p.max_parallel !== undefined) {
        data.push({ run: r, date: new Date(RUNS[r].started_at), max_parallel: p.max_parallel, limit: p.limiting_resource });
      }
    });
    var missing = runs.length - data.length;
    if (!data.length) {
      container.appendChild(el("p", { className: "hint", text: "No run in this range has a recommendation (run with --profile)." }));
      return;
    }
    if (!chartWidth) chartWidth = container.clientWidth;
    var frame = chartFrame(container, 200);
    var x = timeScale(frame, data);
    var y = d3.scaleLinear().domain([0, d3.max(data, function (d) { return d.max_parallel; }) || 1]).nice()
      .range([frame.height - frame.margin.bottom, frame.margin.top]);
    axes(frame, x, y, d3.format("d"));
    frame.svg.append("path").datum(data).attr("fill", "none").attr("stroke", "#6e7781").attr("stroke-width", 1.2)
      .attr("d", d3.line().x(function (d) { return x(d.date); }).y(function (d) { return y(d.max_parallel); }));
    frame.svg.append("g").attr("class", "points").attr("data-series", "max_parallel")
      .selectAll("circle").data(data).join("circle")
      .attr("data-testid", "recommendation-point")
      .attr("class", function (d) { return d.run === selected ? "selected" : null; })
      .attr("data-run", function (d) { return d.run; })
      .attr("data-run-id", function (d) { return RUNS[d.run].id; })
      .attr("data-value", function (d) { return d.max_parallel; })
      .attr("data-limit", function (d) { return d.limit; })
      .attr("fill", function (d) { return LIMIT_COLORS[d.limit] || "#57606a"; })
      .attr("stroke", function (d) { return LIMIT_COLORS[d.limit] || "#57606a"; })
      .attr("cx", function (d) { return x(d.date); })
      .attr("cy", function (d) { return y(d.max_parallel); });
    var seen = [];
    data.forEach(function (d) { if (seen.indexOf(d.limit) < 0) seen.push(d.limit); });
    legend(container, seen.map(function (l) { return { label: "limited by " + (l || "?"), color: LIMIT_COLORS[l] || "#57606a" }; }));
    if (missing) container.appendChild(el("p", { className: "hint", testid: "profile-missing",
      text: missing + " run(s) in this range have no recommendation (made without --profile, or the profile was unavailable)." }));
  }

  function profileSentence(profile) {
    if (!profile) return "No profile (run with --profile).";
    var rec = profile.recommendation;
    var text = rec && rec.sentence ? rec.sentence + "." : "No parallelism recommendation.";
    if (profile.status && profile.status !== "complete") {
      text += " Profile " + profile.status + (profile.reason ? ": " + profile.reason : "") + ".";
    }
    return text;
  }

  function renderProfile(runs) {
    var select = $("profile-run-select");
    var table = clear($("profile-heaviest"));
    var sentence = $("profile-sentence");
    if (!runs.length) {
      clear(select);
      drawRecommendations($("profile-chart"), runs, -1);
      sentence.textContent = "No runs in this date range.";
      return;
    }
    var r = runIndexById(state.run);
    if (r < 0) r = runs[runs.length - 1];
    drawRecommendations($("profile-chart"), runs, r);
    fillRunSelect(select, runs.indexOf(r) >= 0 ? runs : runs.concat([r]).sort(function (a, b) { return a - b; }), RUNS[r].id);
    showBanner(RUNS[r].emulated);
    sentence.textContent = "Loading " + RUNS[r].file + " …";
    table.removeAttribute("data-loaded");
    var seq = stats.renders;
    loadDetails(r).then(function (results) {
      if (seq !== stats.renders) return;
      var profile = results.profile || null;
      sentence.textContent = profileSentence(profile);
      sentence.setAttribute("data-has-profile", String(Boolean(profile)));
      var names = {};
      (results.scenarios || []).forEach(function (s) { names[s.nodeid] = s; });
      var heaviest = profile && profile.heaviest ? profile.heaviest : [];
      if (heaviest.length) {
        table.appendChild(el("thead", null, el("tr", null, el("th", { text: "Scenario" }), el("th", { text: "Peak CPU (m)" }),
          el("th", { text: "Peak memory" }), el("th", { text: "Peak pods" }), el("th", { text: "Samples" }))));
      } else if (profile) {
        table.appendChild(el("tr", null, el("td", { className: "hint", text: "No per-scenario peaks in this run." })));
      }
      var body = document.createElement("tbody");
      heaviest.forEach(function (h) {
        var s = names[h.nodeid];
        body.appendChild(el("tr", { testid: "profile-row", "data-nodeid": h.nodeid },
          el("td", null, el("div", { className: "scenario", text: s ? s.scenario : h.nodeid }),
            el("div", { className: "spec", text: s ? s.spec : "" })),
          el("td", { className: "num", testid: "profile-cpu", text: String(Math.round(h.peak_cpu_m)) }),
          el("td", { className: "num", testid: "profile-memory", "data-bytes": String(h.peak_memory_b), text: mebibytes(h.peak_memory_b) }),
          el("td", { className: "num", testid: "profile-pods", text: String(h.peak_pods) }),
          el("td", { className: "num", text: String(h.samples || 0) })));
      });
      table.appendChild(body);
      table.setAttribute("data-loaded", RUNS[r].id);
    }).catch(function (error) {
      if (seq !== stats.renders) return;
      sentence.textContent = "Cannot load " + RUNS[r].file + " (" + error.message + "). Serve the site over HTTP to see run details.";
    });
  }

  // ------------------------------------------------------------------ main loop

  function showBanner(emulated) {
    $("emulated-banner").hidden = !emulated;
  }

  function render() {
    var started = performance.now();
    stats.renders++;
    syncForm();
    var runs = visibleRuns();
    var tests = filteredTests(runs);
    var latest = runs.length ? RUNS[runs[runs.length - 1]] : null;
    showBanner(Boolean(latest && latest.emulated));
    if (state.view === "overview") {
      // Charts ignore status/category (they plot every outcome) but follow component, tag and search.
      var saved = [state.status, state.cat];
      state.status = "";
      state.cat = "";
      var chartTests = filteredTests(runs);
      state.status = saved[0];
      state.cat = saved[1];
      renderOverview(runs, chartTests);
    } else if (state.view === "grid") renderGrid(runs, tests);
    else if (state.view === "run") renderRun(runs);
    else if (state.view === "profile") renderProfile(runs);
    else renderCompare(runs, tests);
    stats.lastRenderMs = performance.now() - started;
    if (!stats.firstRenderAt) {
      stats.firstRenderAt = performance.now(); // ms since navigation start
      requestAnimationFrame(function () {
        setTimeout(function () { stats.firstFrameAt = performance.now(); }, 0); // laid out and painted
      });
    }
    document.documentElement.setAttribute("data-ready", state.view);
    document.documentElement.setAttribute("data-renders", String(stats.renders));
  }

  function commit() {
    writeState();
    render();
  }

  function initTooltip() {
    var tip = el("div", { className: "tooltip", testid: "tooltip", role: "tooltip", hidden: true });
    document.body.appendChild(tip);
    document.querySelector('[data-panel="overview"]').addEventListener("click", function (event) {
      var r = event.target.getAttribute && event.target.getAttribute("data-run");
      if (r !== null && r !== undefined && RUNS[r]) openRun(Number(r));
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

  function init() {
    state = readState();
    initTooltip();
    var form = $("filters");
    form.addEventListener("input", function (event) {
      var name = event.target.name;
      if (FILTER_KEYS.indexOf(name) < 0) return;
      state[name] = event.target.value;
      commit();
    });
    form.addEventListener("change", function (event) {
      var name = event.target.name;
      if (FILTER_KEYS.indexOf(name) < 0 || state[name] === event.target.value) return;
      state[name] = event.target.value;
      commit();
    });
    form.addEventListener("reset", function (event) {
      event.preventDefault();
      FILTER_KEYS.forEach(function (key) { state[key] = ""; });
      commit();
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    document.querySelectorAll('[role="tab"]').forEach(function (tab) {
      tab.addEventListener("click", function () {
        state.view = tab.getAttribute("data-view");
        commit();
      });
    });
    $("run-select").addEventListener("change", function (event) {
      state.run = event.target.value;
      state.open = "";
      commit();
    });
    document.querySelector('[data-panel="profile"]').addEventListener("click", function (event) {
      var r = event.target.getAttribute && event.target.getAttribute("data-run");
      if (r === null || r === undefined || !RUNS[r]) return;
      state.run = RUNS[r].id;
      commit();
    });
    $("profile-run-select").addEventListener("change", function (event) {
      state.run = event.target.value;
      commit();
    });
    $("compare-base").addEventListener("change", function (event) { state.a = event.target.value; commit(); });
    $("compare-head").addEventListener("change", function (event) { state.b = event.target.value; commit(); });
    $("grid").addEventListener("click", function (event) {
      var cell = event.target.closest('[data-testid="grid-cell"]');
      if (!cell) return;
      var row = cell.closest('[data-testid="grid-row"]');
      state.view = "run";
      state.run = cell.getAttribute("data-run");
      state.open = row ? row.getAttribute("data-key") : "";
      commit();
    });
    window.addEventListener("resize", function () {
      var width = $("chart-counts").clientWidth;
      if (width && Math.abs(width - chartWidth) > 40 && state.view === "overview") {
        chartWidth = width;
        render();
      }
    });
    window.addEventListener("hashchange", function () {
      state = readState();
      render();
    });
    render();
  }

  init();
})();

/* pytest-streamstress dashboard, charts: the trends below the morning page (d3).
 *
 * Readable at 200+ scenarios and 365 runs (issue 20): passes and failures get split scales (the
 * passed line on its own axis above, failures stacked by category on theirs below, so five failures
 * do not vanish under two hundred passes), and the pass rate's axis starts just below its lowest
 * value. Colours come from the one palette (report/palette.py). Marks carry only geometry and
 * `data-run`; tooltips are made on hover and clicks delegated (main.js).
 *
 * With several clusters (issue 23) the counts are drawn once per cluster, stacked panels on one time
 * axis: one cluster's passes and failures in one panel read as that cluster's nights, where two
 * clusters' points on one line would zigzag between them. The pass rate, one scale for all, draws
 * one line per cluster (colour and dash), since comparing them is the question it answers.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var MARGIN = { top: 12, right: 20, bottom: 28, left: 48 };
  var CLUSTER_COLORS = ["#0969da", "#8250df", "#bf3989", "#1b7c83", "#953800", "#57606a"];
  var CLUSTER_DASHES = ["", "7 4", "2 3", "10 3 2 3"];
  S.chartWidth = 0; // measured once per render: reading layout per chart would force a reflow each time

  S.perRunCounts = function (runs, tests) {
    return runs.map(function (r) {
      var c = { run: r, date: new Date(S.RUNS[r].started_at), passed: 0, failed: 0, error: 0, skipped: 0, failing: 0, cats: {} };
      for (var i = 0; i < tests.length; i++) {
        var t = tests[i];
        var code = S.CELLS[t].charAt(r);
        if (S.PASSING[code]) c.passed++;
        else if (code === "F") c.failed++;
        else if (code === "E") c.error++;
        else if (code === "S") c.skipped++;
        if (S.FAILING[code]) {
          var cat = S.catAt(t, r) || "";
          c.cats[cat] = (c.cats[cat] || 0) + 1;
        }
      }
      c.failing = c.failed + c.error;
      var judged = c.passed + c.failing;
      c.passrate = judged ? (100 * c.passed) / judged : 0;
      return c;
    });
  };

  function timeScale(width, data, shared) {
    var extent = shared || d3.extent(data, function (d) { return d.date; });
    if (extent[0] && extent[0].getTime() === extent[1].getTime()) {
      extent = [new Date(extent[0].getTime() - 43200000), new Date(extent[1].getTime() + 43200000)];
    }
    return d3.scaleUtc().domain(extent).range([MARGIN.left, width - MARGIN.right]);
  }

  // Run times on the x axis: whole seconds at least, labelled by the span shown: dates for nightly
  // histories, clock times for runs within a day.
  function timeAxis(width, x) {
    var domain = x.domain();
    var span = domain[1] - domain[0];
    var ticks = x.ticks(Math.min(10, width / 90)).filter(function (t) { return t.getUTCMilliseconds() === 0; });
    var format = d3.utcFormat(span >= 2 * 86400000 ? "%b %d" : span >= 2 * 3600000 ? "%b %d %H:%M" : "%H:%M:%S");
    return d3.axisBottom(x).tickValues(ticks).tickFormat(format).tickSizeOuter(0);
  }

  // Whole numbers only: a count axis from 0 to 1 must not read 0, 0, 0, 1, 1.
  S.countAxis = function (y, count) {
    var ticks = y.ticks(Math.max(2, Math.min(count || 5, 5))).filter(function (v) { return Number.isInteger(v); });
    return d3.axisLeft(y).tickValues(ticks).tickFormat(d3.format("d"));
  };

  function gridlines(group, width) {
    group.selectAll("line.gridline").remove();
    group.selectAll(".tick line").clone().attr("class", "gridline")
      .attr("x2", width - MARGIN.left - MARGIN.right).attr("stroke-opacity", 0.08);
  }

  S.frame = function (container, height) {
    var width = Math.max(480, S.chartWidth || 900);
    var svg = d3.select(container).append("svg")
      .attr("viewBox", "0 0 " + width + " " + height).attr("width", "100%").attr("role", "img");
    return { svg: svg, width: width, height: height };
  };

  S.xAxis = function (frame, x, bottom) {
    frame.svg.append("g").attr("class", "axis x").attr("transform", "translate(0," + bottom + ")")
      .call(timeAxis(frame.width, x));
  };

  S.legend = function (container, entries) {
    var box = S.el("div", { className: "legend", testid: "chart-legend" });
    entries.forEach(function (e) {
      var swatch = S.el("i", { className: e.hollow ? "hollow" : e.faded ? "faded" : e.line ? "line" : null });
      if (e.line) {
        var dash = e.dash ? e.dash.split(" ").map(Number) : [];
        swatch.style.background = dash.length ? "repeating-linear-gradient(90deg, " + e.color + " 0 " + dash[0] + "px, transparent " +
          dash[0] + "px " + (dash[0] + dash[1]) + "px)" : e.color;
      } else if (!e.hollow && !e.faded) swatch.style.background = e.color;
      box.appendChild(S.el("span", { className: "key", "data-category": e.id || null }, swatch, e.label));
    });
    container.appendChild(box);
  };

  // A run that broke, was stopped or ran too few scenarios is not a point of the trend: its marks are
  // drawn faded and the lines pass it by, so a crashed night does not read as a fall in the pass rate.
  function scoredPoint(d) { return S.scored(S.RUNS[d.run]); }

  function pointClass(d) {
    return "point" + (S.RUNS[d.run].emulated ? " emulated" : "") + (scoredPoint(d) ? "" : " unscored");
  }

  function scaleData(data) {
    var scored = data.filter(scoredPoint);
    return scored.length ? scored : data;
  }

  var UNSCORED_KEY = { label: "faded: a run that is not scored (it broke, was stopped, ran too few scenarios or its images changed under it)", faded: true };

  // ------------------------------------------------------------------ scenarios per run: split scales

  var TOP = 96;    // height of the passed panel
  var LABEL = 16;  // the passed panel's label row, above it: inside the plot, points and bars hid it
  var GAP = 26;    // between the panels; holds the failures panel's label
  var BOTTOM = 130; // height of the failures panel

  function categoriesIn(data) {
    var seen = {};
    data.forEach(function (d) { Object.keys(d.cats).forEach(function (c) { seen[c] = true; }); });
    var order = S.CATEGORY_IDS.filter(function (c) { return seen[c]; });
    if (seen[""]) order.push("");
    return order;
  }

  function drawCounts(container, data, extent) {
    S.clear(container);
    var height = MARGIN.top + LABEL + TOP + GAP + BOTTOM + MARGIN.bottom;
    var frame = S.frame(container, height);
    var x = timeScale(frame.width, data, extent);
    var width = frame.width;
    // Passed: its own axis, from just below the lowest count (a drop of 3 in 200 stays visible).
    var scale = scaleData(data); // an interrupted night at 0 passed must not squash the others' band
    var lo = d3.min(scale, function (d) { return d.passed; });
    var hi = d3.max(data, function (d) { return d.passed; });
    var pad = Math.max(1, Math.round((hi - lo) * 0.1));
    var yTop = d3.scaleLinear().domain([Math.max(0, lo - pad), hi + pad]).nice()
      .range([MARGIN.top + LABEL + TOP, MARGIN.top + LABEL]).clamp(true); // a faded run below sits on the edge
    var topAxis = frame.svg.append("g").attr("class", "axis").attr("data-testid", "axis-passed")
      .attr("transform", "translate(" + MARGIN.left + ",0)").call(S.countAxis(yTop, hi));
    gridlines(topAxis, width);
    frame.svg.append("text").attr("class", "panel-label").attr("data-testid", "label-passed")
      .attr("x", MARGIN.left + 6).attr("y", MARGIN.top + 8)
      .text("passed (axis from " + yTop.domain()[0] + ")");
    frame.svg.append("path").attr("data-testid", "line-passed").datum(data.filter(scoredPoint)).attr("fill", "none")
      .attr("stroke", S.PALETTE.pass_line).attr("stroke-width", 1.6)
      .attr("d", d3.line().x(function (d) { return x(d.date); }).y(function (d) { return yTop(d.passed); }));
    frame.svg.append("g").attr("data-testid", "series-passed").attr("data-series", "passed")
      .attr("class", "points" + (data.length > 120 ? " dense" : ""))
      .attr("fill", S.PALETTE.pass_line).attr("stroke", S.PALETTE.pass_line)
      .selectAll("circle").data(data).join("circle")
      .attr("class", pointClass)
      .attr("data-run", function (d) { return d.run; })
      .attr("cx", function (d) { return x(d.date); })
      .attr("cy", function (d) { return yTop(d.passed); });
    // Failures: stacked by category on their own axis from 0, the band the morning is about.
    var base = MARGIN.top + LABEL + TOP + GAP;
    var cats = categoriesIn(data);
    var stacked = d3.stack().keys(cats).value(function (d, key) { return d.cats[key] || 0; })(data);
    var maxFailing = d3.max(data, function (d) { return d.failing; }) || 0;
    var yBottom = d3.scaleLinear().domain([0, Math.max(1, maxFailing)]).nice().range([base + BOTTOM, base]);
    var bottomAxis = frame.svg.append("g").attr("class", "axis").attr("data-testid", "axis-failures")
      .attr("transform", "translate(" + MARGIN.left + ",0)").call(S.countAxis(yBottom, maxFailing));
    gridlines(bottomAxis, width);
    frame.svg.append("text").attr("class", "panel-label").attr("data-testid", "label-failures")
      .attr("x", MARGIN.left + 6).attr("y", base - 7)
      .text("failed and error, by category");
    var plotWidth = width - MARGIN.left - MARGIN.right;
    var barWidth = Math.max(1.2, Math.min(14, (plotWidth / Math.max(1, data.length)) * 0.7));
    frame.svg.append("g").attr("data-testid", "failure-bars").selectAll("g").data(stacked).join("g")
      .attr("fill", function (layer) { return S.categoryColor(layer.key); })
      .attr("data-category", function (layer) { return layer.key; })
      .selectAll("rect").data(function (layer) { return layer.filter(function (d) { return d[1] > d[0]; }); }).join("rect")
      .attr("data-testid", "category-bar")
      .attr("class", function (d) { return scoredPoint(d.data) ? null : "unscored"; })
      .attr("data-run", function (d) { return d.data.run; })
      .attr("data-count", function (d) { return d[1] - d[0]; })
      .attr("x", function (d) { return x(d.data.date) - barWidth / 2; })
      .attr("y", function (d) { return yBottom(d[1]); })
      .attr("height", function (d) { return yBottom(d[0]) - yBottom(d[1]); })
      .attr("width", barWidth);
    S.xAxis(frame, x, height - MARGIN.bottom);
    var entries = [{ label: "passed", color: S.PALETTE.pass_line }].concat(cats.map(function (c) {
      return { id: c || "none", label: S.categoryLabel(c), color: S.categoryColor(c) };
    }));
    if (data.some(function (d) { return S.RUNS[d.run].emulated; })) entries.push({ label: "hollow point: emulated run", hollow: true });
    if (!data.every(scoredPoint)) entries.push(UNSCORED_KEY);
    S.legend(container, entries);
  }

  // ------------------------------------------------------------------ pass rate, zoomed on its band

  // `series`: [{data, cluster}] (cluster null without clusters): one line each on one scale.
  function drawPassRate(container, series) {
    S.clear(container);
    var frame = S.frame(container, 200);
    var all = [].concat.apply([], series.map(function (s) { return s.data; }));
    var x = timeScale(frame.width, all);
    var lowest = d3.min(scaleData(all), function (d) { return d.passrate; });
    var from = Math.max(0, Math.floor((lowest - 5) / 5) * 5);
    var y = d3.scaleLinear().domain([from, 100]).range([frame.height - MARGIN.bottom, MARGIN.top]).clamp(true);
    var axis = frame.svg.append("g").attr("class", "axis").attr("data-testid", "axis-passrate")
      .attr("transform", "translate(" + MARGIN.left + ",0)")
      .call(d3.axisLeft(y).ticks(5).tickFormat(function (v) { return v + "%"; }));
    gridlines(axis, frame.width);
    series.forEach(function (s, i) {
      var color = s.cluster ? CLUSTER_COLORS[s.cluster.position % CLUSTER_COLORS.length] : "#0969da";
      var dash = s.cluster ? CLUSTER_DASHES[s.cluster.position % CLUSTER_DASHES.length] : "";
      frame.svg.append("path").attr("data-testid", "line-passrate").datum(s.data.filter(scoredPoint))
        .attr("fill", "none").attr("stroke", color).attr("stroke-width", 1.6)
        .attr("stroke-dasharray", dash || null)
        .attr("d", d3.line().x(function (d) { return x(d.date); }).y(function (d) { return y(d.passrate); }));
      frame.svg.append("g").attr("data-testid", "series-passrate").attr("data-series", "passrate")
        .attr("data-cluster", s.cluster ? s.cluster.id : null)
        .attr("class", "points" + (all.length > 120 ? " dense" : "")).attr("fill", color).attr("stroke", color)
        .selectAll("circle").data(s.data).join("circle")
        .attr("class", pointClass)
        .attr("data-run", function (d) { return d.run; })
        .attr("cx", function (d) { return x(d.date); })
        .attr("cy", function (d) { return y(d.passrate); });
      s.color = color;
      s.dash = dash;
      s.index = i;
    });
    S.xAxis(frame, x, frame.height - MARGIN.bottom);
    if (series[0].cluster) {
      S.legend(container, series.map(function (s) {
        return { id: s.cluster.id, label: s.cluster.label, color: s.color, dash: s.dash, line: true };
      }));
    }
    S.$("passrate-caption").textContent = "Pass rate per run (passed of passed, failed and error)" +
      (series[0].cluster ? ", one line per cluster" : "") + (from > 0 ? "; the axis starts at " + from + "%" : "");
  }

  // One panel per cluster, on the time axis of every run shown, so a night lines up across panels.
  function drawClusterCounts(container, data, groups) {
    S.clear(container);
    var extent = d3.extent(data, function (d) { return d.date; });
    groups.forEach(function (group) {
      var box = S.clusterPanel(container, group, "chart-cluster");
      drawCounts(box, data.filter(function (d) { return S.CLUSTER_OF[d.run] === group.cluster.id; }), extent);
    });
  }

  S.renderTrends = function (runs, tests) {
    var counts = S.$("chart-counts");
    var rate = S.$("chart-passrate");
    var trends = S.$("trends");
    trends.hidden = S.RUNS.length < 2;
    if (trends.hidden) return;
    if (!S.chartWidth) S.chartWidth = counts.clientWidth; // re-measured on resize only
    var data = S.perRunCounts(runs, tests);
    var key = S.chartWidth + "|" + runs.join() + "|" + tests.join();
    if (counts.__key === key) return; // the same runs and tests: nothing moved
    counts.__key = key;
    if (!data.length) {
      S.clear(counts).appendChild(S.el("p", { className: "hint", text: "No runs in this date range." }));
      S.clear(rate);
      return;
    }
    var groups = S.runGroups(runs);
    if (!groups[0].cluster) {
      drawCounts(counts, data);
      drawPassRate(rate, [{ data: data, cluster: null }]);
      return;
    }
    drawClusterCounts(counts, data, groups);
    drawPassRate(rate, groups.map(function (group) {
      return { cluster: group.cluster, data: data.filter(function (d) { return S.CLUSTER_OF[d.run] === group.cluster.id; }) };
    }));
  };
})();

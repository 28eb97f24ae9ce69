/* pytest-streamstress dashboard, the profile view (issue 9): how many specs may run in parallel.
 *
 * The tab exists only when some run was made with --profile (report/site.py). A run without one,
 * or one that measured no usage, says so in words instead of showing zeros and "1 specs"; the
 * chart leaves such runs out and counts them under it, on an axis of whole numbers. With several
 * clusters (issue 23) it follows the cluster filter, and shows one panel per cluster when none is chosen.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var el = S.el;
  var NO_USAGE = "no usage measured";
  var LIMIT_COLORS = { memory: "#8250df", cpu: "#bc4c00", pods: "#0969da" }; // resources, not categories

  function mebibytes(bytes) { return ((Number(bytes) || 0) / 1048576).toFixed(1) + " MiB"; }

  function measured(p) {
    return p && p.max_parallel !== null && p.max_parallel !== undefined && p.limiting_resource !== NO_USAGE;
  }

  // The runs' recommendations, and how many runs had none to plot (without --profile, or nothing measured).
  function pointsOf(runs) {
    var found = { data: [], without: 0, unmeasured: 0 };
    runs.forEach(function (r) {
      var p = S.RUNS[r].profile;
      if (!p) found.without++;
      else if (!measured(p)) found.unmeasured++;
      else found.data.push({ run: r, date: new Date(S.RUNS[r].started_at), max_parallel: p.max_parallel, limit: p.limiting_resource });
    });
    return found;
  }

  function drawChart(container, found, selected, extent) {
    var data = found.data;
    var frame = S.frame(container, 200);
    var margin = { top: 12, right: 20, bottom: 28, left: 48 };
    if (extent[0].getTime() === extent[1].getTime()) {
      extent = [new Date(extent[0].getTime() - 43200000), new Date(extent[1].getTime() + 43200000)];
    }
    var x = d3.scaleUtc().domain(extent).range([margin.left, frame.width - margin.right]);
    var top = d3.max(data, function (d) { return d.max_parallel; });
    var y = d3.scaleLinear().domain([0, Math.max(1, top)]).nice().range([frame.height - margin.bottom, margin.top]);
    frame.svg.append("g").attr("class", "axis").attr("data-testid", "axis-profile")
      .attr("transform", "translate(" + margin.left + ",0)").call(S.countAxis(y, top));
    S.xAxis(frame, x, frame.height - margin.bottom);
    frame.svg.append("path").datum(data).attr("fill", "none").attr("stroke", "#6e7781").attr("stroke-width", 1.2)
      .attr("d", d3.line().x(function (d) { return x(d.date); }).y(function (d) { return y(d.max_parallel); }));
    frame.svg.append("g").attr("class", "points").attr("data-series", "max_parallel")
      .selectAll("circle").data(data).join("circle")
      .attr("data-testid", "recommendation-point")
      .attr("class", function (d) { return d.run === selected ? "selected" : null; })
      .attr("data-run", function (d) { return d.run; })
      .attr("data-run-id", function (d) { return S.RUNS[d.run].id; })
      .attr("data-value", function (d) { return d.max_parallel; })
      .attr("data-limit", function (d) { return d.limit; })
      .attr("fill", function (d) { return LIMIT_COLORS[d.limit] || "#57606a"; })
      .attr("stroke", function (d) { return LIMIT_COLORS[d.limit] || "#57606a"; })
      .attr("cx", function (d) { return x(d.date); })
      .attr("cy", function (d) { return y(d.max_parallel); });
    var seen = [];
    data.forEach(function (d) { if (seen.indexOf(d.limit) < 0) seen.push(d.limit); });
    S.legend(container, seen.map(function (l) { return { label: "limited by " + (l || "?"), color: LIMIT_COLORS[l] || "#57606a" }; }));
    missing(container, found);
  }

  function missing(container, found) {
    var parts = [];
    if (found.without) parts.push(S.plural(found.without, "run") + " made without --profile");
    if (found.unmeasured) parts.push(S.plural(found.unmeasured, "run") + " that measured no usage");
    if (parts.length) {
      container.appendChild(el("p", { className: "hint", testid: "profile-missing",
        text: "Not on the chart: " + parts.join("; ") + "." }));
    }
  }

  // With several clusters, one panel each on one time axis (like the trends' counts): a 4-node and a
  // 40-node cluster's recommendations on one line would zigzag between them, and each reads on its own scale.
  function drawRecommendations(container, runs, selected) {
    S.clear(container);
    var all = pointsOf(runs);
    if (!all.data.length) {
      container.appendChild(el("p", { className: "hint", testid: "profile-chart-empty",
        text: "No run in this range measured its usage (run with --profile on a cluster with the metrics API)." }));
      return;
    }
    if (!S.chartWidth) S.chartWidth = container.clientWidth || 900;
    var extent = d3.extent(all.data, function (d) { return d.date; });
    var groups = S.runGroups(runs);
    if (!groups[0].cluster) {
      drawChart(container, all, selected, extent);
      return;
    }
    groups.forEach(function (group) {
      var box = S.clusterPanel(container, group, "profile-cluster");
      var found = pointsOf(group.runs);
      if (found.data.length) drawChart(box, found, selected, extent);
      else {
        box.appendChild(el("p", { className: "hint", testid: "profile-chart-empty", text: "No run of this cluster in this range measured its usage." }));
        missing(box, found);
      }
    });
  }

  // The sentence from the recommendation's fields, so "1 spec" reads right (the stored sentence may not).
  function profileSentence(profile) {
    if (!profile) return "This run was made without --profile: nothing was measured.";
    var rec = profile.recommendation;
    var text;
    if (!rec) text = "No parallelism recommendation.";
    else if (rec.limiting_resource === NO_USAGE) {
      text = "No usage was measured in this run (every scenario's peak was zero), so there is no recommendation.";
    } else {
      text = "You can safely run " + S.plural(rec.max_parallel_specs, "spec") + " in parallel on this cluster (limited by " +
        rec.limiting_resource + ").";
    }
    if (profile.status && profile.status !== "complete") {
      text += " Profile " + profile.status + (profile.reason ? ": " + profile.reason : "") + ".";
    }
    return text;
  }

  function usage(h) {
    return (Number(h.peak_cpu_m) || 0) > 0 || (Number(h.peak_memory_b) || 0) > 0 || (Number(h.peak_pods) || 0) > 0;
  }

  S.renderProfile = function (runs) {
    var select = S.$("profile-run-select");
    var table = S.clear(S.$("profile-heaviest"));
    var section = S.$("profile-heaviest-section");
    var sentence = S.$("profile-sentence");
    if (!runs.length) {
      S.clear(select);
      drawRecommendations(S.$("profile-chart"), runs, -1);
      sentence.textContent = "No runs in this date range.";
      section.hidden = true;
      return;
    }
    var r = S.runIndexById(S.state.run);
    if (r < 0) r = runs[runs.length - 1];
    drawRecommendations(S.$("profile-chart"), runs, r);
    S.fillRunSelect(select, runs.indexOf(r) >= 0 ? runs : runs.concat([r]).sort(function (a, b) { return a - b; }), S.RUNS[r].id);
    S.showBanner(S.RUNS[r].emulated);
    sentence.textContent = "Loading " + S.RUNS[r].file + " …";
    table.removeAttribute("data-loaded");
    section.hidden = true;
    var seq = S.stats.renders;
    S.loadDetails(r).then(function (results) {
      if (seq !== S.stats.renders) return;
      var profile = results.profile || null;
      sentence.textContent = profileSentence(profile);
      sentence.setAttribute("data-has-profile", String(Boolean(profile)));
      var names = {};
      (results.scenarios || []).forEach(function (s) { names[s.nodeid] = s; });
      var heaviest = (profile && profile.heaviest ? profile.heaviest : []).filter(usage);
      section.hidden = !heaviest.length;
      if (heaviest.length) {
        table.appendChild(el("thead", null, el("tr", null, el("th", { text: "Scenario" }), el("th", { text: "Peak CPU (m)" }),
          el("th", { text: "Peak memory" }), el("th", { text: "Peak pods" }), el("th", { text: "Samples" }))));
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
      table.setAttribute("data-loaded", S.RUNS[r].id);
    }).catch(function (error) {
      if (seq !== S.stats.renders) return;
      sentence.textContent = S.unavailable(S.RUNS[r], error);
    });
  };
})();

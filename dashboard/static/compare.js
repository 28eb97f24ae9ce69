/* pytest-streamstress dashboard, the comparison of two runs: what changed, which commits, culprit ranges.
 *
 * The lists (new failures, fixed, still failing) come from the index; only non-empty ones show.
 * The newer run's culprit ranges (issue 11) are loaded with its details.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var el = S.el;
  var LISTS = [
    ["new-failures", "New failures"],
    ["fixed", "Fixed"],
    ["still-failing", "Still failing"],
  ];

  function culpritRange(range) {
    var base = S.repoBase(range.repo);
    var head = el("div", { className: "range-head" },
      el("strong", { text: range.component }), " ",
      el("span", { className: "mono", text: (S.shortSha(range.old) || "?") + ".." + (S.shortSha(range.new) || "?") }), " ",
      el("span", { className: "badge", testid: "culprit-state", text: range.state }));
    if (S.safeUrl(range.compare_url)) {
      head.appendChild(document.createTextNode(" "));
      head.appendChild(S.link(range.compare_url, "compare", "culprit-compare"));
    }
    var box = el("div", { className: "culprit-range", testid: "culprit-range", "data-component": range.component }, head);
    if (range.note) box.appendChild(el("p", { className: "hint", testid: "culprit-note", text: range.note }));
    var commits = (range.commits || []).slice().reverse(); // newest first, like git log
    if (commits.length) {
      var list = el("ul", { className: "commits" });
      commits.forEach(function (c) {
        list.appendChild(el("li", { testid: "culprit-commit", "data-sha": c.sha },
          S.link(base + "/commit/" + c.sha, S.shortSha(c.sha), "culprit-commit-link"), " ",
          el("span", { className: "hint", text: S.day(c.date) + " " + (c.author || "") }), " ",
          el("span", { text: c.subject || "" })));
      });
      box.appendChild(list);
      if (range.truncated) box.appendChild(el("p", { className: "hint", text: "Only the newest commits are listed." }));
    }
    return box;
  }

  function renderCulprits(b) {
    var list = S.clear(S.$("compare-culprits"));
    var status = S.$("culprits-status");
    list.removeAttribute("data-loaded");
    if (b < 0 || !S.RUNS[b]) { status.textContent = ""; return; }
    status.textContent = "Loading " + S.RUNS[b].file + " …";
    var seq = S.stats.renders;
    S.loadDetails(b).then(function (results) {
      if (seq !== S.stats.renders) return;
      var culprits = results.analysis && results.analysis.culprits;
      if (!culprits) {
        status.textContent = "The newer run has no culprit ranges (they are computed with --history when a run has new failures or regressions).";
      } else {
        status.textContent = culprits.length ? S.plural(culprits.length, "failing test") + " with a culprit range." :
          "No new failures or regressions to explain in the newer run.";
      }
      (culprits || []).forEach(function (culprit) {
        var item = el("li", { testid: "culprit", "data-key": culprit.test },
          el("div", null, el("span", { className: "scenario", text: S.testLabel(culprit.test) }),
            el("span", { className: "badge", text: culprit.reason }),
            el("span", { className: "hint", text: "between " + S.runLabel(culprit.good_run) + " (good) and " +
              S.runLabel(culprit.bad_run) + " (bad)" })));
        if ((culprit.ruled_out || []).length) {
          item.appendChild(el("p", { className: "hint", testid: "culprit-ruled-out",
            text: "Ruled out (unchanged): " + culprit.ruled_out.join(", ") }));
        }
        (culprit.components || []).forEach(function (range) { item.appendChild(culpritRange(range)); });
        list.appendChild(item);
      });
      list.setAttribute("data-loaded", S.RUNS[b].id);
    }).catch(function (error) {
      if (seq !== S.stats.renders) return;
      status.textContent = S.unavailable(S.RUNS[b], error);
    });
  }

  function components(a, b) {
    var table = S.clear(S.$("compare-components"));
    table.appendChild(el("tr", null, el("th", { text: "Component" }), el("th", { text: "Older" }), el("th", { text: "Newer" }),
      el("th", { text: "Upstream changes" })));
    if (a < 0 || b < 0) return;
    var older = {};
    S.RUNS[a].components.forEach(function (c) { older[c.name] = c; });
    var names = S.RUNS[b].components.map(function (c) { return c.name; });
    S.RUNS[a].components.forEach(function (c) { if (names.indexOf(c.name) < 0) names.push(c.name); });
    names.filter(function (n) { return !S.state.comp || n === S.state.comp; }).forEach(function (name) {
      var oldC = older[name];
      var newC = S.RUNS[b].components.filter(function (c) { return c.name === name; })[0];
      var base = S.repoBase((newC || oldC).repo);
      var change;
      if (!oldC || !newC || !oldC.sha || !newC.sha) change = el("span", { text: "not built in both runs" });
      else if (oldC.sha === newC.sha) change = el("span", { className: "hint", text: "unchanged" });
      else change = S.link(base + "/compare/" + oldC.sha + "..." + newC.sha, S.shortSha(oldC.sha) + "…" + S.shortSha(newC.sha), "compare-range");
      table.appendChild(el("tr", { testid: "compare-component", "data-component": name },
        el("td", { text: name }),
        el("td", null, oldC && oldC.sha ? S.link(base + "/commit/" + oldC.sha, S.shortSha(oldC.sha)) : el("span", { text: "—" })),
        el("td", null, newC && newC.sha ? S.link(base + "/commit/" + newC.sha, S.shortSha(newC.sha)) : el("span", { text: "—" })),
        el("td", null, change)));
    });
  }

  S.renderCompare = function (runs, tests) {
    var b = S.runIndexById(S.state.b);
    if (b < 0) b = runs.length ? runs[runs.length - 1] : S.RUNS.length - 1;
    var a = S.runIndexById(S.state.a);
    if (a < 0 && S.MULTI) {
      // The older run of the same cluster: the previous run in time is another cluster's, that night.
      var same = runs.filter(function (r) { return r < b && S.CLUSTER_OF[r] === S.CLUSTER_OF[b]; });
      if (same.length) a = same[same.length - 1];
    }
    if (a < 0) a = runs.length > 1 ? runs[runs.length - 2] : Math.max(0, b - 1);
    var choices = runs.slice();
    [a, b].forEach(function (x) { if (x >= 0 && choices.indexOf(x) < 0) choices.push(x); });
    choices.sort(function (x, y) { return x - y; });
    S.fillRunSelect(S.$("compare-base"), choices, S.RUNS[a] ? S.RUNS[a].id : "");
    S.fillRunSelect(S.$("compare-head"), choices, S.RUNS[b] ? S.RUNS[b].id : "");
    var lists = { "new-failures": [], fixed: [], "still-failing": [] };
    if (a >= 0 && b >= 0) {
      tests.forEach(function (t) {
        var before = S.CELLS[t].charAt(a);
        var after = S.CELLS[t].charAt(b);
        if (S.FAILING[after] && !S.FAILING[before]) lists["new-failures"].push({ t: t, code: after, cat: S.catAt(t, b) });
        else if (S.FAILING[before] && S.PASSING[after]) lists.fixed.push({ t: t, code: after, cat: "" });
        else if (S.FAILING[before] && S.FAILING[after]) lists["still-failing"].push({ t: t, code: after, cat: S.catAt(t, b) });
      });
    }
    var box = S.clear(S.$("compare-lists"));
    LISTS.forEach(function (entry) {
      var items = lists[entry[0]];
      if (!items.length) return;
      var ul = el("ul", { testid: entry[0] });
      items.forEach(function (item) {
        var test = S.TESTS[item.t];
        ul.appendChild(el("li", { testid: "compare-item", "data-key": test.k },
          el("span", { className: "status s-" + S.STATUS_OF[item.code], text: S.STATUS_OF[item.code] }), " ",
          el("span", { className: "scenario", text: test.n }), " ",
          el("span", { className: "spec", text: test.s }),
          item.cat ? S.categoryBadge(item.cat) : null));
      });
      box.appendChild(el("section", null, el("h2", { text: entry[1] + " (" + items.length + ")" }), ul));
    });
    if (!box.firstChild) box.appendChild(el("p", { className: "hint", testid: "compare-nothing",
      text: "No test changed between the two runs." }));
    renderCulprits(b);
    components(a, b);
  };
})();

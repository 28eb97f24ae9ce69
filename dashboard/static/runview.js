/* pytest-streamstress dashboard, the run view: one run's verdict, commits, scenarios and analysis.
 *
 * Honest (issue 20): the badge says what the verdict means ("PASSED · 4 failures, none gate the
 * job", computed once in report/morning.py), a section shows only when it has something, a failure
 * cluster only when two or more failures share the cause, and no test is listed twice: a regression
 * or a known issue already in "new" or "still failing" becomes a note on that line.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var el = S.el;
  var CONFIRMATION = {
    confirmed: "confirmed: fails on upstream, passes on the shipped images",
    "passed-on-rerun": "passed on rerun: probably flaky",
    "fails-on-shipped": "fails on the shipped images too: not upstream",
    "not-checked": "not checked by --confirm",
  };

  S.gateBadge = function (run, testid) {
    var gate = run.gate || { status: run.status, text: "", tone: "broken" };
    return el("span", { className: "gate tone-" + gate.tone, testid: testid || "gate-badge", "data-status": gate.status },
      gate.status.toUpperCase() + (gate.text ? " · " + gate.text : ""));
  };

  S.fillRunSelect = function (select, runs, chosen) {
    S.clear(select);
    function option(run) {
      var failing = run.counts.failed + run.counts.error;
      return el("option", { value: run.id, text: S.runName(run) + " · " + S.plural(failing, "failure") });
    }
    if (S.MULTI) S.fillGroupedRunSelect(select, runs, option);
    else for (var i = runs.length - 1; i >= 0; i--) select.appendChild(option(S.RUNS[runs[i]]));
    if (chosen) select.value = chosen;
  };

  function scenarioMatches(s) {
    var key = S.scenarioKey(s);
    var t = S.TEST_INDEX[key];
    var st = S.state;
    if (st.comp && (t === undefined || S.TEST_INFO[t].comps.indexOf(st.comp) < 0)) return false;
    if (st.tag && (s.tags || []).indexOf(st.tag) < 0) return false;
    if (st.status === "flaky" ? !s.flaky : st.status && s.status !== st.status) return false;
    if (st.cat && !S.categoryMatches(s.category || "")) return false;
    if (st.q) {
      var q = st.q.toLowerCase();
      var hay = (key + " " + s.spec + " " + s.scenario + " " + (s.message || "") + " " + (s.category || "")).toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    return true;
  }

  function renderHeader(run) {
    var header = S.clear(S.$("run-header"));
    var c = run.counts;
    header.appendChild(el("h2", { testid: "run-title" }, S.gateBadge(run, "run-gate"), " " + S.runName(run)));
    if (run.verdict && run.verdict.sentence) {
      header.appendChild(el("p", { className: "sentence", testid: "run-verdict", text: run.verdict.sentence }));
    }
    var parts = [run.id].concat(S.MULTI ? [(S.clusterPhrase(run) + " " +
      S.versionsOf(run)).trim()] : []);
    parts.push(S.plural(c.total, "scenario") + ": " + c.passed + " passed, " + c.failed + " failed, " +
      c.error + " error, " + c.skipped + " skipped" + (c.flaky ? ", " + c.flaky + " flaky" : ""), S.duration(run.duration_s));
    if (run.errors) parts.push(S.plural(run.errors, "run error"));
    if (run.trimmed) parts.push("details trimmed by the history budget (" + run.trimmed + ")");
    header.appendChild(el("p", { className: "meta", testid: "run-meta", text: parts.join(" · ") }));
    var left = run.restore;  // how the run left the operator (results.json deploy.restore)
    if (left && left.state !== "restored") {
      var asked = left.state !== "not-asked";
      header.appendChild(el("p", { className: asked ? "note cluster-left" : "hint", testid: "run-cluster-left",
        text: asked ? "The cluster may still run this run's images. " + left.message
          : "The cluster still ran this run's images after it: it ran without --restore." }));
    }
    var comps = S.clear(S.$("run-components"));
    comps.appendChild(el("tr", null, el("th", { text: "Component" }), el("th", { text: "Ref" }), el("th", { text: "Commit" }),
      el("th", { text: "Subject" }), el("th", { text: "Build" })));
    if (!run.components.length) {
      comps.appendChild(el("tr", null, el("td", { colspan: "5", className: "hint", text: "No components were built in this run." })));
    }
    run.components.forEach(function (comp) {
      var base = S.repoBase(comp.repo);
      comps.appendChild(el("tr", { testid: "component-row" },
        el("td", null, S.link(base, comp.name)),
        el("td", { text: comp.ref || "default branch" }),
        el("td", null, comp.sha ? S.link(base + "/commit/" + comp.sha, S.shortSha(comp.sha), "commit-link") : el("span", { text: "—" })),
        el("td", { text: comp.subject }),
        el("td", { text: comp.status })));
    });
  }

  function detailBlock(label, value, testid, pre) {
    if (value === undefined || value === null || value === "") return null;
    return el("div", { className: "detail" }, el("span", { className: "dlabel", text: label }),
      el(pre ? "pre" : "span", { testid: testid, text: String(value) }));
  }

  function confirmationText(confirmation) {
    if (!confirmation) return "";
    var text = CONFIRMATION[confirmation.verdict] || confirmation.verdict;
    return confirmation.reason ? text + " (" + confirmation.reason + ")" : text;
  }

  function scenarioRows(s, tbody) {
    var key = S.scenarioKey(s);
    var open = S.state.open === key;
    var row = el("tr", { testid: "run-row", className: "row s-" + s.status, "data-key": key, "data-status": s.status,
      "data-category": s.category || "", "aria-expanded": String(open), tabindex: "0" },
      el("td", null, el("span", { className: "status s-" + s.status, text: s.status }),
        s.flaky ? el("span", { className: "badge flaky", text: "flaky" }) : null),
      el("td", null, el("div", { className: "scenario", text: s.scenario }), el("div", { className: "spec", text: s.spec + ":" + s.line }),
        // why it did not run ("left out: ...", a known bug), without a click: a skip has nothing else to show
        s.status === "skipped" && s.message ? el("div", { className: "skip-reason", testid: "skip-reason", text: s.message.split("\n")[0] }) : null),
      el("td", null, s.category ? S.categoryBadge(s.category, "row-category") : null,
        s.confirmation ? el("span", { className: "badge", testid: "row-confirmation", text: s.confirmation.verdict }) : null),
      el("td", { className: "num", text: (s.duration_s || 0).toFixed(1) + " s" }),
      el("td", { className: "num", text: String(s.retries || 0) }),
      el("td", null, s.known_issue ? S.link(s.known_issue, "issue", "known-issue") : null));
    function toggle() {
      S.state.open = S.state.open === key ? "" : key;
      S.commit();
    }
    row.addEventListener("click", toggle);
    row.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
    tbody.appendChild(row);
    if (!open) return;
    var step = s.failing_step ? s.failing_step.text + (s.failing_step.line ? " (line " + s.failing_step.line + ")" : "") : "";
    var detail = el("div", { className: "details" },
      detailBlock("Failing step", step, "detail-step"),
      detailBlock("Message", s.message, "detail-message", true),
      detailBlock("Category", s.category ? S.categoryLabel(s.category) : "", "detail-category"),
      detailBlock("Matched rule", s.category_rule, "detail-rule"),
      detailBlock("Evidence" + (s.category_field ? " (" + s.category_field + ")" : ""), s.category_evidence, "detail-evidence", true),
      detailBlock("Confirmation", confirmationText(s.confirmation), "detail-confirmation"),
      s.known_issue ? el("div", { className: "detail" }, el("span", { className: "dlabel", text: "Known issue" }), S.link(s.known_issue, s.known_issue)) : null,
      detailBlock("Tags", (s.tags || []).join(", "), "detail-tags"),
      detailBlock("Attempts", s.attempts, "detail-attempts"),
      detailBlock("Log", s.log_path, "detail-log"),
      detailBlock("Trace", s.trace, "detail-trace", true));
    tbody.appendChild(el("tr", { testid: "run-row-detail", className: "detail-row" }, el("td", { colspan: "6" }, detail)));
  }

  // ------------------------------------------------------------------ compared with the history (issue 10)

  function percent(rate) { return (100 * (Number(rate) || 0)).toFixed(0) + "%"; }

  function testItem(key, testid, byKey) {
    var t = S.TEST_INDEX[key];
    var li = el("li", { testid: testid || "analysis-item", "data-key": key },
      el("span", { className: "scenario", text: S.testLabel(key) }));
    if (t !== undefined) li.appendChild(el("span", { className: "spec", text: " " + S.TESTS[t].s }));
    var s = byKey && byKey[key];
    if (s && s.category) li.appendChild(S.categoryBadge(s.category, "analysis-category"));
    if (s && s.message) li.appendChild(el("div", { className: "message-line", testid: "analysis-message", text: s.message.split("\n")[0] }));
    return li;
  }

  function group(box, title, testid, items, make) {
    if (!items.length) return; // a section only when it has something to say
    var list = el("ul", { testid: testid, "data-count": String(items.length) });
    items.forEach(function (item) { list.appendChild(make(item)); });
    box.appendChild(el("div", { className: "analysis-group", testid: testid + "-group" },
      el("h3", { text: title + " (" + items.length + ")" }), list));
  }

  function regressionBadge(reg) {
    var basis = reg.basis || [0, 0];
    var recent = reg.recent || [0, 0];
    return el("span", { className: "badge failing", testid: "regression-rates",
      text: "pass rate " + percent(reg.basis_rate) + " (" + basis[0] + "/" + (basis[0] + basis[1]) + ") → " +
        percent(reg.recent_rate) + " (" + recent[0] + "/" + (recent[0] + recent[1]) + ") · p = " +
        Number(reg.p_value).toPrecision(2) });
  }

  function knownNote(known) {
    var note = el("span", { className: "known", testid: "known-note" }, " ", S.link(known.issue, "known issue", "known-link"));
    if (known.stale) note.appendChild(el("span", { className: "badge failing", testid: "known-stale", text: "stale: entry expired" }));
    return note;
  }

  function renderAnalysis(results) {
    var box = S.clear(S.$("run-analysis"));
    var a = results.analysis;
    box.hidden = !a;
    if (!a) return;
    var byKey = {};
    (results.scenarios || []).forEach(function (s) { byKey[S.scenarioKey(s)] = s; });
    var regressions = {};
    (a.regressions || []).forEach(function (reg) { regressions[reg.subject] = reg; });
    var known = {};
    (a.known || []).forEach(function (k) { known[k.test] = k; });
    var listed = {};
    function annotate(li, key) {
      listed[key] = true;
      if (regressions[key]) li.appendChild(regressionBadge(regressions[key]));
      if (known[key]) li.appendChild(knownNote(known[key]));
      return li;
    }
    box.appendChild(el("h2", { testid: "analysis-title", text: "Compared with " + S.plural(a.history_runs || 0, "earlier run") }));
    if (a.scored === false) {
      box.appendChild(el("p", { className: "hint", text: "Not scored: this run did not happen as asked, so nothing in it counts as new." }));
    }
    function fresh(keys, keyOf) {
      return keys.filter(function (item) { return !listed[keyOf ? keyOf(item) : item]; });
    }
    group(box, "New failures", "analysis-new-failures", fresh(a.new_failures || []), function (key) {
      return annotate(testItem(key, "analysis-item", byKey), key);
    });
    group(box, "Still failing", "analysis-still-failing", fresh(a.still_failing || [], function (i) { return i.test; }),
      function (item) {
        var li = testItem(item.test, "analysis-item", byKey);
        li.appendChild(el("span", { className: "badge failing", testid: "still-failing-since", "data-run": item.since,
          text: "since " + S.runLabel(item.since) + " · " + S.plural(item.runs, "run") }));
        return annotate(li, item.test);
      });
    var flaky = {};
    (a.flaky || []).forEach(function (key) { flaky[key] = true; });
    group(box, "Fixed", "analysis-fixed", fresh(a.fixed || []), function (key) {
      var li = annotate(testItem(key), key);
      if (flaky[key]) li.appendChild(el("span", { className: "badge flaky", text: "flaky" }));
      return li;
    });
    group(box, "Flaky", "analysis-flaky", fresh(a.flaky || []), function (key) { return annotate(testItem(key), key); });
    group(box, "Regressions (pass rate, basis → recent)", "analysis-regressions",
      (a.regressions || []).filter(function (reg) { return !listed[reg.subject]; }), function (reg) {
        var li = testItem(reg.subject, "analysis-regression");
        li.appendChild(regressionBadge(reg));
        return li;
      });
    group(box, "Failures with one cause", "analysis-clusters",
      (a.clusters || []).filter(function (c) { return (c.size || (c.members || []).length) >= 2; }), clusterItem);
    group(box, "Known failures", "analysis-known",
      (a.known || []).filter(function (k) { return !listed[k.test]; }), function (k) {
        var li = testItem(k.test, "analysis-known-item");
        li.appendChild(knownNote(k));
        if (k.reason) li.appendChild(el("span", { className: "hint", text: " " + k.reason }));
        return li;
      });
    (a.stale_known_entries || []).forEach(function (entry) {
      box.appendChild(el("p", { className: "hint", testid: "stale-known-entry" }, "Stale known-failures entry: ",
        S.link(entry.issue, entry.issue), entry.expired ? " (expired " + entry.expired + ")" : ""));
    });
    if (box.querySelectorAll(".analysis-group").length === 0) {
      box.appendChild(el("p", { className: "hint", testid: "analysis-nothing", text: "Nothing changed." }));
    }
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

  // ------------------------------------------------------------------ the view

  function unavailable(run, error) {
    var served = /^https?:$/.test(location.protocol);
    return "Cannot load " + run.file.replace(/\.json$/, ".js") + " (" + error.message + ")." +
      (served ? "" : " Rebuild the site with `streamstress report` to add the run's script, or serve it over HTTP.");
  }
  S.unavailable = unavailable;

  S.renderRun = function (runs) {
    var select = S.$("run-select");
    if (!runs.length) {
      S.clear(select);
      S.clear(S.$("run-header")).appendChild(el("p", { className: "hint", text: "No runs in this date range." }));
      S.clear(S.$("run-table"));
      S.clear(S.$("run-components"));
      S.$("run-status").textContent = "";
      S.clear(S.$("run-analysis")).hidden = true;
      return;
    }
    var r = S.runIndexById(S.state.run);
    if (r < 0) r = runs[runs.length - 1];
    S.fillRunSelect(select, runs.indexOf(r) >= 0 ? runs : runs.concat([r]).sort(function (a, b) { return a - b; }), S.RUNS[r].id);
    var run = S.RUNS[r];
    renderHeader(run);
    S.showBanner(run.emulated);
    var table = S.clear(S.$("run-table"));
    S.clear(S.$("run-errors"));
    S.clear(S.$("run-analysis")).hidden = true;
    var status = S.$("run-status");
    status.textContent = "Loading " + run.file + " …";
    table.setAttribute("aria-busy", "true");
    var seq = S.stats.renders;
    S.loadDetails(r).then(function (results) {
      if (seq !== S.stats.renders) return; // a newer render took over
      S.clear(table);
      table.appendChild(el("thead", null, el("tr", null, el("th", { text: "Status" }), el("th", { text: "Scenario" }),
        el("th", { text: "Category" }), el("th", { text: "Duration" }), el("th", { text: "Retries" }), el("th", { text: "Known issue" }))));
      var order = { failed: 0, error: 1, passed: 2, skipped: 3 };
      var all = results.scenarios || [];
      var shown = all.filter(scenarioMatches).sort(function (a, b) {
        return (order[a.status] - order[b.status]) || (a.spec < b.spec ? -1 : a.spec > b.spec ? 1 : a.line - b.line);
      });
      var problems = S.clear(S.$("run-errors"));
      (results.errors || []).forEach(function (problem) {
        problems.appendChild(el("li", { testid: "run-error" },
          el("span", { className: "badge failing", text: problem.phase + (problem.component ? " · " + problem.component : "") }),
          el("span", { text: problem.message })));
      });
      renderAnalysis(results);
      var tbody = document.createElement("tbody");
      shown.forEach(function (s) { scenarioRows(s, tbody); });
      table.appendChild(tbody);
      status.textContent = (shown.length === all.length ? "All " + S.plural(all.length, "scenario") + "." :
        shown.length + " of " + S.plural(all.length, "scenario") + " match the filters.") +
        (run.trimmed ? " Messages and traces of this run were dropped by the history budget." : "");
      table.setAttribute("aria-busy", "false");
      table.setAttribute("data-loaded", run.id);
    }).catch(function (error) {
      if (seq !== S.stats.renders) return;
      status.textContent = unavailable(run, error);
      table.setAttribute("aria-busy", "false");
    });
  };
})();

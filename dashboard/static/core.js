/* pytest-streamstress dashboard, core: the data, the helpers, the state in the URL and the filters.
 *
 * Plain JavaScript, no build step: report/site.py concatenates these files into assets/app.js in
 * order (core, fleet, charts, grid, runview, compare, profile, main); each attaches to `window.Streamstress`.
 * The index (runs + test x run outcome matrix) is embedded in index.html; a run's full results.json
 * is loaded only when a view needs it, through runs/<id>/results.js (a <script>, so it works from
 * file:// where fetch is refused). Data from results.json is only ever put into the page with
 * textContent / d3 .text(), never innerHTML: a failure message holding markup is shown, not run.
 */
(function () {
  "use strict";

  var S = (window.Streamstress = window.Streamstress || {});
  S.STATUS_OF = { P: "passed", K: "flaky", F: "failed", E: "error", S: "skipped", "-": "not run" };
  S.FAILING = { F: true, E: true };
  S.PASSING = { P: true, K: true };
  // `upto` (a run id, set by the morning page's links when reruns followed its run): runs after it are
  // left out, so "new", "fixed" and "still failing" are read at the run the page is about.
  S.FILTER_KEYS = ["cluster", "cat", "status", "chg", "comp", "tag", "from", "to", "q", "upto"];
  S.STATE_KEYS = ["view"].concat(S.FILTER_KEYS, ["run", "a", "b", "open", "cols"]);
  S.VIEWS = ["morning", "grid", "run", "compare", "profile"];
  S.state = {};
  S.stats = { renders: 0, lastRenderMs: 0, firstRenderAt: 0, firstFrameAt: 0 };
  window.__streamstress = S.stats;

  // ------------------------------------------------------------------ the data (parsed once, on start)

  S.load = function () {
    var index = JSON.parse(document.getElementById("streamstress-index").textContent);
    S.INDEX = index;
    S.RUNS = index.runs;
    S.TESTS = index.tests;
    S.CELLS = index.cells;
    S.CATS = index.cats;
    S.PALETTE = index.palette;
    S.CATEGORY = {};   // id -> {id, label, color, text, code}
    S.BY_CODE = {};    // matrix letter -> the same
    index.palette.categories.forEach(function (c) { S.CATEGORY[c.id] = c; S.BY_CODE[c.code] = c; });
    // Display order: Upstream Regression first (what the morning is about), then as the index met them.
    S.CATEGORY_IDS = index.palette.categories.map(function (c) { return c.id; }).sort(function (a, b) {
      return (b === "upstream-regression") - (a === "upstream-regression");
    });
    S.TEST_INDEX = {};
    S.TESTS.forEach(function (t, i) { S.TEST_INDEX[t.k] = i; });
    S.RUN_INDEX = {};
    S.RUNS.forEach(function (run, r) { S.RUN_INDEX[run.id] = r; });
    S.loadClusters(index.clusters || []);
    S.RUNS_PER_DAY = {}; // per cluster: two clusters running the same night are not two runs of a day
    S.RUNS.forEach(function (run) {
      var d = S.CLUSTER_OF[S.RUN_INDEX[run.id]] + "|" + S.day(run.started_at);
      S.RUNS_PER_DAY[d] = (S.RUNS_PER_DAY[d] || 0) + 1;
    });
    var names = [];
    S.RUNS.forEach(function (run) {
      run.components.forEach(function (c) { if (names.indexOf(c.name) < 0) names.push(c.name); });
    });
    // Per-test facts computed once: components (a spec path segment or tag naming it) and search text.
    S.TEST_INFO = S.TESTS.map(function (t) {
      var words = {};
      t.s.toLowerCase().split(/[\/\\._-]/).concat(t.t.map(function (x) { return x.toLowerCase(); }))
        .forEach(function (w) { words[w] = true; });
      var comps = names.filter(function (name) {
        var n = name.toLowerCase();
        return words[n] || words[n + "s"];
      });
      return { comps: comps, text: (t.k + " " + t.s + " " + t.n).toLowerCase() };
    });
  };

  // ------------------------------------------------------------------ helpers

  S.$ = function (testid, root) {
    return (root || document).querySelector('[data-testid="' + testid + '"]');
  };

  S.el = function (tag, props) {
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
  };

  S.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  };

  S.safeUrl = function (url) {
    // Links come from results.json: only http(s) ones become links (no javascript: URLs).
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  };

  S.link = function (url, text, testid) {
    var href = S.safeUrl(url);
    if (!href) return S.el("span", { text: text, testid: testid });
    return S.el("a", { href: href, text: text, testid: testid, rel: "noopener noreferrer", target: "_blank" });
  };

  S.plural = function (count, noun, many) {
    return count + " " + (count === 1 ? noun : many || noun + "s");
  };

  S.repoBase = function (repo) { return (repo || "").replace(/\.git$/, "").replace(/\/+$/, ""); };
  S.shortSha = function (sha) { return (sha || "").slice(0, 12); };
  S.day = function (iso) { return (iso || "").slice(0, 10); };

  // A run's date, with its time when the day had more runs (reruns in one morning look alike otherwise).
  S.when = function (run, short) {
    var d = S.day(run.started_at);
    var text = short ? d.slice(5) : d;
    return S.RUNS_PER_DAY[S.clusterId(run) + "|" + d] > 1 ? text + " " + run.started_at.slice(11, 16) : text;
  };

  // With several clusters a run is named with its cluster everywhere (selects, tooltips, column titles).
  S.runName = function (run) {
    return S.day(run.started_at) + " " + run.started_at.slice(11, 16) + (run.label ? " · " + run.label : "") +
      (run.emulated ? " · emulated" : "") + (S.MULTI ? " · " + S.clusterLabel(S.clusterId(run)) : "");
  };

  S.duration = function (seconds) {
    var s = Math.round(seconds || 0);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  };

  S.catAt = function (t, r) {
    var found = S.BY_CODE[S.CATS[t].charAt(r)];
    return found ? found.id : "";
  };

  S.categoryLabel = function (id) { return S.CATEGORY[id] ? S.CATEGORY[id].label : id || "No category"; };
  S.categoryColor = function (id) { return S.CATEGORY[id] ? S.CATEGORY[id].color : S.PALETTE.outcomes.failed; };

  // A category badge painted from the palette (text colour chosen for contrast in report/palette.py).
  S.categoryBadge = function (id, testid) {
    var c = S.CATEGORY[id];
    var badge = S.el("span", { className: "badge cat", testid: testid || "category-badge", "data-category": id,
      text: S.categoryLabel(id) });
    badge.style.background = c ? c.color : S.PALETTE.outcomes.failed;
    badge.style.color = c ? c.text : "#ffffff";
    return badge;
  };

  S.runIndexById = function (id) {
    var r = S.RUN_INDEX[id];
    return r === undefined ? -1 : r;
  };

  S.scored = function (run) {
    if (run.verdict) return run.verdict.scored !== false;
    return ["incomplete", "interrupted", "error"].indexOf(run.status) < 0;
  };

  // ------------------------------------------------------------------ state <-> URL

  S.readState = function () {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var next = {};
    S.STATE_KEYS.forEach(function (key) { next[key] = params.get(key) || ""; });
    if (next.view === "overview") next.view = "morning"; // the old name of the first view
    if (S.VIEWS.indexOf(next.view) < 0 || !S.$("view-" + next.view)) next.view = "morning";
    return next;
  };

  S.writeState = function () {
    var params = new URLSearchParams();
    S.STATE_KEYS.forEach(function (key) {
      if (S.state[key] && !(key === "view" && S.state[key] === "morning")) params.set(key, S.state[key]);
    });
    var hash = params.toString();
    var url = location.pathname + location.search + (hash ? "#" + hash : "");
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, "", url);
  };

  // ------------------------------------------------------------------ filtering (pure over the index)

  S.visibleRuns = function () {
    // Indices of the runs inside the date range (and of the chosen cluster), oldest first.
    var out = [];
    var cluster = S.MULTI && S.CLUSTER[S.state.cluster] ? S.state.cluster : ""; // an unknown one: all
    var last = S.uptoRun();
    for (var r = 0; r <= last; r++) {
      if (cluster && S.CLUSTER_OF[r] !== cluster) continue;
      var d = S.day(S.RUNS[r].started_at);
      if (S.state.from && d < S.state.from) continue;
      if (S.state.to && d > S.state.to) continue;
      out.push(r);
    }
    return out;
  };

  // The index of the `upto` run; the newest run when there is none or it is unknown.
  S.uptoRun = function () {
    for (var r = 0; S.state.upto && r < S.RUNS.length; r++) {
      if (S.RUNS[r].id === S.state.upto) return r;
    }
    return S.RUNS.length - 1;
  };

  S.latestCell = function (t, runs) {
    for (var i = runs.length - 1; i >= 0; i--) {
      var code = S.CELLS[t].charAt(runs[i]);
      if (code !== "-") return { code: code, run: runs[i] };
    }
    return null;
  };

  S.isFlaky = function (t, runs) {
    var flips = 0;
    var last = "";
    for (var i = 0; i < runs.length; i++) {
      var code = S.CELLS[t].charAt(runs[i]);
      if (code === "K") return true;
      var kind = S.PASSING[code] ? "p" : S.FAILING[code] ? "f" : "";
      if (!kind) continue;
      if (last && kind !== last) flips++;
      last = kind;
    }
    return flips >= 2;
  };

  S.failingSince = function (t, runs) {
    // Oldest run of the current failing streak, or -1 if the test does not fail now.
    var since = -1;
    for (var i = runs.length - 1; i >= 0; i--) {
      var code = S.CELLS[t].charAt(runs[i]);
      if (code === "-") continue;
      if (!S.FAILING[code]) break;
      since = runs[i];
    }
    return since;
  };

  // The two runs "new", "still failing" and "fixed" are read between: the newest run in range and the
  // previous scored one (report/morning.py applies the same rule to the morning page's lists).
  S.changePair = function (runs) {
    if (!runs.length) return null;
    var latest = runs[runs.length - 1];
    if (!S.scored(S.RUNS[latest])) return null;
    for (var i = runs.length - 2; i >= 0; i--) {
      if (S.scored(S.RUNS[runs[i]])) {
        return { latest: latest, previous: runs[i], earlier: runs.slice(0, i + 1) };
      }
    }
    return null;
  };

  // Against the last scored run the test ran in (report/morning.py last_ran): a -k rerun that left
  // it out does not make it "new" the next night.
  S.lastRan = function (row, earlier) {
    for (var i = earlier.length - 1; i >= 0; i--) {
      var code = row.charAt(earlier[i]);
      if ((S.FAILING[code] || S.PASSING[code]) && S.scored(S.RUNS[earlier[i]])) return code;
    }
    return "-";
  };

  S.changeOf = function (t, pair) {
    if (!pair) return "";
    var now = S.CELLS[t].charAt(pair.latest);
    var before = S.lastRan(S.CELLS[t], pair.earlier);
    if (S.FAILING[now]) return S.FAILING[before] ? "still" : "new";
    return S.PASSING[now] && S.FAILING[before] ? "fixed" : "";
  };

  // `cat=x` keeps category x; `cat=!x` keeps every failure but x ("the other new failures").
  S.categoryMatches = function (category) {
    var wanted = S.state.cat;
    if (!wanted) return true;
    return wanted.charAt(0) === "!" ? category !== wanted.slice(1) : category === wanted;
  };

  S.matchesTestFilters = function (t) {
    if (S.state.comp && S.TEST_INFO[t].comps.indexOf(S.state.comp) < 0) return false;
    if (S.state.tag && S.TESTS[t].t.indexOf(S.state.tag) < 0) return false;
    if (S.state.q && S.TEST_INFO[t].text.indexOf(S.state.q.toLowerCase()) < 0) return false;
    return true;
  };

  S.filteredTests = function (runs) {
    // Status and category judge a test by its latest outcome in the range ("what is failing now").
    var out = [];
    var pair = S.state.chg ? S.changePair(runs) : null;
    for (var t = 0; t < S.TESTS.length; t++) {
      if (!S.matchesTestFilters(t)) continue;
      if (S.state.chg && S.changeOf(t, pair) !== S.state.chg) continue;
      if (S.state.status || S.state.cat) {
        var latest = S.latestCell(t, runs);
        if (!latest) continue;
        if (S.state.status === "flaky") {
          if (!S.isFlaky(t, runs)) continue;
        } else if (S.state.status && S.STATUS_OF[latest.code] !== S.state.status &&
                   !(S.state.status === "passed" && latest.code === "K")) {
          continue;
        }
        if (S.state.cat && !S.categoryMatches(S.catAt(t, latest.run))) continue;
      }
      out.push(t);
    }
    return out;
  };

  // ------------------------------------------------------------------ a run's details, loaded once

  var details = {};
  var waiting = {};

  // runs/<id>/results.js calls this with the run's results.json (report/site.py writes it).
  window.streamstressRun = function (id, results) {
    if (waiting[id]) {
      waiting[id].resolve(results);
      delete waiting[id];
    }
  };

  function viaScript(r) {
    var run = S.RUNS[r];
    return new Promise(function (resolve, reject) {
      waiting[run.id] = { resolve: resolve };
      var script = document.createElement("script");
      script.src = run.file.replace(/\.json$/, ".js");
      script.onerror = function () {
        delete waiting[run.id];
        reject(new Error(script.src + " could not be loaded"));
      };
      script.onload = function () {
        script.remove();
        if (waiting[run.id]) {
          delete waiting[run.id];
          reject(new Error(script.src + " holds no run data"));
        }
      };
      document.head.appendChild(script);
    });
  }

  function viaFetch(r) {
    var file = S.RUNS[r].file;
    return fetch(file).then(function (response) {
      if (!response.ok) throw new Error(file + ": HTTP " + response.status);
      return response.json();
    });
  }

  S.loadDetails = function (r) {
    var id = S.RUNS[r].id;
    if (!details[id]) {
      details[id] = viaScript(r).catch(function (error) {
        // A site written before the wrappers existed: served over HTTP, the JSON itself still loads.
        if (/^https?:$/.test(location.protocol)) return viaFetch(r);
        throw error;
      });
      details[id].catch(function () { delete details[id]; });
    }
    return details[id];
  };

  S.scenarioKey = function (s) {
    // Same rule as history.case_key / results_json.stable_id: the writer's id, else spec + case id or heading.
    if (s.id) return s.id;
    var found = /\b([A-Z][A-Z0-9]+-\d+-TC-?\d+)\b/.exec(s.scenario);
    return s.spec + "::" + (found ? found[1] : s.scenario);
  };

  S.testLabel = function (key) {
    var t = S.TEST_INDEX[key];
    return t === undefined ? key : S.TESTS[t].n;
  };

  S.runLabel = function (id) {
    var r = S.runIndexById(id);
    return r < 0 ? id : S.runName(S.RUNS[r]);
  };

  S.showBanner = function (emulated) {
    S.$("emulated-banner").hidden = !emulated;
  };
})();

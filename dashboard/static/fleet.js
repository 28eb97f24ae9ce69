/* pytest-streamstress dashboard, clusters (issue 23): which runs belong to which cluster, and its name.
 *
 * `--clusters` runs one build on several clusters and records one run per cluster; runs of one
 * cluster are compared with each other only (the analysis reads them apart, and so does the page).
 * report/fleet.py lists the clusters in the index (`clusters`, absent with one cluster or none
 * named): then the filter offers them, the grid shows one row group per cluster, the trends one
 * panel (and one pass-rate line) per cluster, the profile one panel per cluster. Without it every helper here is a no-op, and the page
 * looks as it did before clusters existed.
 */
(function () {
  "use strict";

  var S = window.Streamstress;
  var UNNAMED = "-"; // report/fleet.py UNNAMED_ID: the runs that name no cluster

  // The same rule as report/fleet.py `cluster_id`.
  S.clusterId = function (run) {
    return (run.cluster && run.cluster.name) || UNNAMED;
  };

  S.loadClusters = function (clusters) {
    S.CLUSTERS = clusters;
    S.MULTI = clusters.length > 1;
    S.CLUSTER = {};
    clusters.forEach(function (c, i) { S.CLUSTER[c.id] = c; c.position = i; });
    S.CLUSTER_OF = S.RUNS.map(S.clusterId);
  };

  S.clusterLabel = function (id) {
    return S.CLUSTER && S.CLUSTER[id] ? S.CLUSTER[id].label : id;
  };

  // "cluster ocp-4-16", or the unnamed group's label alone ("unnamed cluster", not "cluster unnamed cluster").
  S.clusterPhrase = function (run) {
    var id = S.clusterId(run);
    return (id === UNNAMED ? "" : "cluster ") + S.clusterLabel(id);
  };

  // The visible runs by cluster, in the index's cluster order; one group (cluster null) without clusters.
  S.runGroups = function (runs) {
    if (!S.MULTI) return [{ cluster: null, runs: runs }];
    var byCluster = {};
    runs.forEach(function (r) { (byCluster[S.CLUSTER_OF[r]] = byCluster[S.CLUSTER_OF[r]] || []).push(r); });
    return S.CLUSTERS.filter(function (c) { return byCluster[c.id]; }).map(function (c) {
      return { cluster: c, runs: byCluster[c.id] };
    });
  };

  S.versionsOf = function (run) {
    var c = run.cluster || {};
    var parts = [];
    if (c.openshift_version) parts.push("OCP " + c.openshift_version);
    if (c.operator_version) parts.push("operator " + c.operator_version);
    return parts.join(" · ");
  };

  // The versions the newest of these runs (newest first) used, then the earlier ones when they changed.
  S.versionsIn = function (newestFirst) {
    var seen = [];
    newestFirst.forEach(function (r) {
      var text = S.versionsOf(S.RUNS[r]);
      if (text && seen.indexOf(text) < 0) seen.push(text);
    });
    return { now: seen[0] || "", before: seen.slice(1) };
  };

  // A chart's panel for one cluster, headed by its name and newest versions (the trends, the profile); its box.
  S.clusterPanel = function (container, group, testid) {
    var versions = S.versionsIn(group.runs.slice().reverse());
    var box = S.el("div");
    container.appendChild(S.el("div", { className: "cluster-panel", testid: testid, "data-cluster": group.cluster.id },
      S.el("h3", { className: "cluster-heading" }, S.el("span", { className: "cluster-name", text: group.cluster.label }),
        versions.now ? S.el("span", { className: "hint", text: " " + versions.now }) : null),
      box));
    return box;
  };

  // With a cluster chosen, the morning page shows only that cluster's section (report/fleet.py renders one each).
  S.showMorningClusters = function () {
    document.querySelectorAll('[data-testid="morning-cluster"]').forEach(function (section) {
      var hide = Boolean(S.state.cluster) && section.getAttribute("data-cluster") !== S.state.cluster;
      if (section.hidden !== hide) section.hidden = hide;
    });
  };

  // A run select lists each cluster's runs under its name, newest first.
  S.fillGroupedRunSelect = function (select, runs, option) {
    S.runGroups(runs).forEach(function (group) {
      var box = S.el("optgroup", { label: S.clusterLabel(group.cluster.id) });
      for (var i = group.runs.length - 1; i >= 0; i--) box.appendChild(option(S.RUNS[group.runs[i]]));
      select.appendChild(box);
    });
  };
})();

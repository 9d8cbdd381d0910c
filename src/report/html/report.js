// Draws the kubepatrol HTML report from the JSON in #report-data. Every text is set through
// textContent, never parsed as HTML, so manifests cannot inject markup. Filters live in the
// URL fragment (#risk=1&namespace=shop&kind=Deployment&open=3&yaml=1) so a view can be shared
// and a headless browser can be pointed at one.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "text") node.textContent = attributes[key];
      else node.setAttribute(key, attributes[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  function scoreColor(score) {
    return score >= 80 ? "var(--pass)" : score >= 60 ? "var(--warn)" : "var(--danger)";
  }

  function gauge() {
    var radius = 60, circumference = 2 * Math.PI * radius;
    var ring = svg("svg", { viewBox: "0 0 150 150", role: "img", "aria-label": "Health score " + data.score });
    ring.appendChild(svg("circle", { cx: 75, cy: 75, r: radius, fill: "none", stroke: "#e9edf3", "stroke-width": 14 }));
    ring.appendChild(svg("circle", {
      cx: 75, cy: 75, r: radius, fill: "none", stroke: scoreColor(data.score), "stroke-width": 14,
      "stroke-linecap": "round", transform: "rotate(-90 75 75)",
      "stroke-dasharray": (circumference * data.score / 100) + " " + circumference
    }));
    var label = svg("text", { x: 75, y: 86, "text-anchor": "middle", "font-size": 34, "font-weight": 700, fill: "#1d2330", id: "score" });
    label.textContent = String(data.score);
    ring.appendChild(label);
    return el("div", { class: "card gauge" }, [
      el("h2", { text: "Health score" }), ring,
      el("div", { class: "grade", id: "grade", text: "Grade " + data.grade })
    ]);
  }

  function stats() {
    var list = el("dl", { class: "stats" });
    [["Files", data.files], ["Objects", data.objects], ["Checked objects", data.workloads.length],
     ["Checks evaluated", data.evaluated], ["Passed", data.total.passed, "passed"],
     ["Warnings", data.total.warning, "warning"], ["Dangers", data.total.danger, "danger"],
     ["High risks", data.highRisks, data.highRisks ? "danger" : ""]].forEach(function (item) {
      list.appendChild(el("div", { class: "stat" }, [el("dt", { text: item[0] }), el("dd", { class: item[2] || "", text: String(item[1]) })]));
    });
    if (data.errors) {
      list.appendChild(el("div", { class: "stat" }, [el("dt", { text: "Input errors" }), el("dd", { class: "danger", text: String(data.errors) })]));
    }
    // Why the run fails (or that it passes), as the exit code says: a clean grade beside input
    // errors is never shown without saying that inputs failed.
    var verdict = el("p", { class: "verdict " + (data.fails ? "danger" : "passed"), id: "verdict", text: "Result: " + data.verdict });
    return el("div", { class: "card" }, [el("h2", { text: "Overview" }), list, verdict]);
  }

  // The most common kinds, the rest folded into one bar so a repository with a hundred CRDs
  // keeps a readable chart. Bars are scaled to the largest kind.
  var KIND_BARS = 10;

  function kindChart() {
    var shown = data.kinds.slice(0, KIND_BARS);
    var rest = data.kinds.slice(KIND_BARS);
    if (rest.length) {
      var objects = rest.reduce(function (sum, share) { return sum + share.objects; }, 0);
      shown.push({ kind: rest.length + " other kinds", objects: objects, percent: 100 * objects / Math.max(data.objects, 1), other: true });
    }
    var largest = shown.reduce(function (max, share) { return Math.max(max, share.objects); }, 1);
    var bars = el("div", { class: "bars", id: "kind-chart" });
    shown.forEach(function (share) {
      bars.appendChild(el("span", { class: share.other ? "other" : "", text: share.kind }));
      bars.appendChild(el("div", { class: "bar" }, [el("span", { class: share.other ? "kind other" : "kind", style: "width:" + (100 * share.objects / largest) + "%" })]));
      bars.appendChild(el("span", { class: "num", text: share.objects + " · " + share.percent.toFixed(1) + "%" }));
    });
    if (!data.kinds.length) bars.appendChild(el("span", { text: "No objects" }));
    return el("div", { class: "card" }, [el("h2", { text: "Objects by kind" }), bars]);
  }

  // Every input problem with its place, errors first as the report orders them.
  function problems() {
    var body = el("tbody");
    data.diagnostics.forEach(function (problem) {
      body.appendChild(el("tr", { class: problem.level }, [
        el("td", {}, [el("span", { class: "pill " + (problem.level === "error" ? "danger" : problem.level === "warning" ? "warning" : "note"), text: problem.level })]),
        el("td", { class: "file", text: problem.file + (problem.line ? ":" + problem.line : "") }),
        el("td", { text: problem.message }),
        el("td", { class: "code", text: problem.code })
      ]));
    });
    return [el("h2", { text: "Input problems" }),
      el("table", { id: "problem-table" }, [el("thead", {}, [el("tr", {}, ["Level", "Where", "Problem", "Code"].map(function (h) { return el("th", { text: h }); }))]), body])];
  }

  function categoryCharts() {
    var cards = el("div", { class: "cards" });
    data.categories.forEach(function (category) {
      var total = category.passed + category.warning + category.danger;
      var bar = el("div", { class: "bar" });
      ["passed", "warning", "danger"].forEach(function (result) {
        if (total) bar.appendChild(el("span", { class: result, style: "width:" + (100 * category[result] / total) + "%" }));
      });
      cards.appendChild(el("div", { class: "card category", "data-category": category.category }, [
        el("h3", {}, [el("span", { text: category.category.replace("-", " ") }),
          el("span", { text: total ? category.score + "/100" : "n/a", style: "color:" + scoreColor(category.score) })]),
        bar,
        el("div", { class: "legend", text: category.passed + " passed · " + category.warning + " warning · " + category.danger + " danger" })
      ]));
    });
    return [el("h2", { text: "Results per category" }), cards];
  }

  function worst(workload) {
    var tally = { danger: workload.pod.danger + workload.container.danger, warning: workload.pod.warning + workload.container.warning };
    return tally.danger ? "danger" : tally.warning ? "warning" : "passed";
  }

  function displayName(workload) { return workload.name || "(unnamed)"; }

  // Namespace names are DNS labels, so "(none)" cannot clash with a real one.
  function namespaceKey(workload) { return workload.namespace || "(none)"; }

  var rows = [];

  // Where the object was written, and the overlay it was rendered through: a base rendered by
  // three overlays is three rows, told apart by this line.
  function fileCell(workload) {
    var cell = [document.createTextNode(workload.file + ":" + workload.firstLine)];
    if (workload.overlay) cell.push(el("div", { class: "overlay", text: "via " + workload.overlay }));
    return cell;
  }

  function workloadRow(workload, index) {
    var result = worst(workload);
    var passed = workload.pod.passed + workload.container.passed;
    var row = el("tr", { class: "workload", "data-index": index, "data-risk": result === "passed" ? "0" : "1", tabindex: 0 }, [
      el("td", {}, [el("span", { class: "pill " + result, text: result === "passed" ? "passed" : result })]),
      el("td", { text: workload.kind }),
      workload.namespace ? el("td", { text: workload.namespace }) : el("td", { class: "unset", text: "not set" }),
      el("td", { text: displayName(workload) }),
      el("td", { class: "file" }, fileCell(workload)),
      el("td", { class: "num", text: String(passed) }),
      el("td", { class: "num", text: String(workload.pod.warning + workload.container.warning) }),
      el("td", { class: "num", text: String(workload.pod.danger + workload.container.danger) })
    ]);
    row.addEventListener("click", function () { toggleDetail(index); });
    row.addEventListener("keydown", function (event) { if (event.key === "Enter") toggleDetail(index); });
    return row;
  }

  function checkRows(workload) {
    var order = { danger: 0, warning: 1, passed: 2 };
    var results = workload.results.slice().sort(function (a, b) { return order[a.result] - order[b.result]; });
    var body = el("tbody");
    results.forEach(function (result) {
      var check = data.checks[result.check];
      // A result without a container is at the check's own level: the pod, a binding, or the
      // whole object (a Service a policy judged).
      var level = result.containerKind === null ? check.level :
        (result.containerKind === "regular" ? "container " : result.containerKind + " container ") + (result.container || "(unnamed)");
      var about = result.result === "passed" ? el("td", { text: check.success }) : el("td", {}, [
        el("div", { text: result.message + (result.lines.length ? " (line " + result.lines[0] + ")" : "") }),
        el("details", {}, [el("summary", { text: "Risk and remediation" }),
          el("div", { text: check.risk + "\n\n" + (result.help || check.remediation) })])
      ]);
      body.appendChild(el("tr", { class: "check " + result.result }, [
        el("td", {}, [el("span", { class: "pill " + result.result, text: result.result })]),
        el("td", { text: check.id }),
        el("td", { text: check.category }),
        el("td", { text: level }),
        about
      ]));
    });
    return el("table", { class: "checks" }, [
      el("thead", {}, [el("tr", {}, ["Result", "Check", "Category", "Level", "Details"].map(function (title) { return el("th", { text: title }); }))]),
      body
    ]);
  }

  function yamlView(workload) {
    var hits = {};
    workload.results.forEach(function (result) { result.lines.forEach(function (line) { hits[line] = true; }); });
    var body = el("tbody");
    workload.yaml.split("\n").forEach(function (text, offset) {
      var line = workload.firstLine + offset;
      body.appendChild(el("tr", { class: hits[line] ? "yaml-line hit" : "yaml-line" }, [
        el("td", { class: "ln", text: String(line) }), el("td", { text: text })
      ]));
    });
    return el("div", { class: "yaml" }, [el("div", { class: "path", text: workload.file }), el("table", {}, [body])]);
  }

  function toggleDetail(index, showYaml) {
    var row = rows[index];
    var next = row.nextSibling;
    if (next && next.classList && next.classList.contains("detail")) {
      if (showYaml) return next;
      next.remove();
      row.classList.remove("open");
      return null;
    }
    var workload = data.workloads[index];
    var cell = el("td", { colspan: 8 });
    var button = el("button", { type: "button", class: "view-yaml", text: "View YAML" });
    var yaml = null;
    button.addEventListener("click", function () {
      if (!yaml) {
        yaml = yamlView(workload);
        cell.appendChild(yaml);
        button.textContent = "Hide YAML";
        var hit = yaml.querySelector("tr.hit");
        if (hit) yaml.scrollTop = Math.max(0, hit.offsetTop - 60);
      }
      else { yaml.remove(); yaml = null; button.textContent = "View YAML"; }
    });
    cell.appendChild(el("h4", { text: workload.kind + " " + (workload.namespace ? workload.namespace + "/" : "") + displayName(workload) + " — " + workload.file + ":" + workload.firstLine + (workload.overlay ? " via " + workload.overlay : "") }));
    cell.appendChild(checkRows(workload));
    cell.appendChild(el("p", {}, [button]));
    var detail = el("tr", { class: "detail" }, [cell]);
    row.after(detail);
    row.classList.add("open");
    if (showYaml) button.click();
    return detail;
  }

  function fillSelect(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (value) { select.appendChild(el("option", { value: value, text: value })); });
  }

  function unique(values) {
    return values.filter(function (value, index) { return values.indexOf(value) === index; }).sort();
  }

  var filters = {
    risk: document.getElementById("filter-risk"),
    namespace: document.getElementById("filter-namespace"),
    kind: document.getElementById("filter-kind"),
    text: document.getElementById("filter-text")
  };

  function applyFilters() {
    var namespace = filters.namespace.value, kind = filters.kind.value;
    var text = filters.text.value.toLowerCase(), visible = 0;
    data.workloads.forEach(function (workload, index) {
      var show = (!filters.risk.checked || worst(workload) !== "passed") &&
        (!namespace || namespaceKey(workload) === namespace) &&
        (!kind || workload.kind === kind) &&
        (!text || (displayName(workload) + " " + workload.file + " " + (workload.overlay || "")).toLowerCase().indexOf(text) >= 0);
      rows[index].hidden = !show;
      var next = rows[index].nextSibling;
      if (next && next.classList && next.classList.contains("detail")) next.hidden = !show;
      if (show) visible++;
    });
    var count = document.getElementById("visible-count");
    count.textContent = visible + " of " + data.workloads.length + " objects";
    count.setAttribute("data-visible", visible);
    var params = [];
    if (filters.risk.checked) params.push("risk=1");
    if (namespace) params.push("namespace=" + encodeURIComponent(namespace));
    if (kind) params.push("kind=" + encodeURIComponent(kind));
    if (text) params.push("q=" + encodeURIComponent(text));
    history.replaceState(null, "", params.length ? "#" + params.join("&") : location.pathname + location.search);
  }

  function readFragment() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts[0]) params[parts[0]] = decodeURIComponent(parts[1] || "");
    });
    return params;
  }

  document.getElementById("tool").textContent = data.tool + " · " + data.files + " files · " + data.objects + " objects";
  var overview = document.getElementById("overview");
  [gauge(), stats(), kindChart()].forEach(function (card) { overview.appendChild(card); });
  if (data.diagnostics.length) {
    var problemSection = document.getElementById("problems");
    problems().forEach(function (node) { problemSection.appendChild(node); });
    problemSection.hidden = false;
  }
  var categories = document.getElementById("categories");
  categoryCharts().forEach(function (node) { categories.appendChild(node); });

  var body = document.querySelector("#workload-table tbody");
  var fragment = document.createDocumentFragment();
  data.workloads.forEach(function (workload, index) {
    var row = workloadRow(workload, index);
    rows.push(row);
    fragment.appendChild(row);
  });
  body.appendChild(fragment);
  if (!data.workloads.length) body.appendChild(el("tr", {}, [el("td", { colspan: 8, class: "empty", text: "No checked objects" })]));
  fillSelect("filter-namespace", unique(data.workloads.map(namespaceKey)));
  fillSelect("filter-kind", unique(data.workloads.map(function (w) { return w.kind; })));

  var params = readFragment();
  filters.risk.checked = params.risk === "1";
  if (params.namespace !== undefined) filters.namespace.value = params.namespace;
  if (params.kind !== undefined) filters.kind.value = params.kind;
  if (params.q !== undefined) filters.text.value = params.q;
  [filters.risk, filters.namespace, filters.kind].forEach(function (input) { input.addEventListener("change", applyFilters); });
  filters.text.addEventListener("input", applyFilters);
  applyFilters();
  var open = parseInt(params.open, 10);
  if (open >= 0 && open < rows.length) toggleDetail(open, params.yaml === "1");
})();

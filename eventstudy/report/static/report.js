/* eventstudy report: draws the charts and renders the events table from its compact
   JSON rows: sortable, filterable and paginated. Plain JavaScript, no libraries
   besides plotly.js. */
(function () {
  "use strict";

  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  /* a updated by b: objects merged key by key, anything else replaced (as
     event_figures.merge in Python). */
  function merge(a, b) {
    if (!isObj(a) || !isObj(b)) { return b; }
    var out = {}, k;
    for (k in a) { if (Object.prototype.hasOwnProperty.call(a, k)) { out[k] = a[k]; } }
    for (k in b) {
      if (Object.prototype.hasOwnProperty.call(b, k)) {
        out[k] = isObj(out[k]) ? merge(out[k], b[k]) : b[k];
      }
    }
    return out;
  }

  var TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

  /* Number lists travel as {"_n": integers, "_d": digits} (figures.Numbers):
     value = integer / 10^digits, the double Python rounded to. */
  function decode(v) {
    if (Array.isArray(v)) { return v.map(decode); }
    if (!isObj(v)) { return v; }
    if (Array.isArray(v._n)) {
      var s = TEN[v._d];
      return v._n.map(function (k) { return k === null ? null : k / s; });
    }
    var out = {};
    Object.keys(v).forEach(function (k) { out[k] = decode(v[k]); });
    return out;
  }

  /* An event chart is its parts plus the report's shared base (id="chart-bases"). */
  function assemble(parts, bases) {
    var base = JSON.parse(JSON.stringify(bases[parts.base]));
    var data = parts.data.map(function (t) {
      var own = {};
      Object.keys(t).forEach(function (k) { if (k !== "_") { own[k] = t[k]; } });
      return merge(base.traces[t._], own);
    });
    return { data: data, layout: merge(base.layout, parts.layout) };
  }

  function drawCharts() {
    var nodes = document.querySelectorAll("[data-figure]");
    var basesNode = document.getElementById("chart-bases");
    var bases = basesNode ? JSON.parse(basesNode.textContent) : null;
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { continue; }
      if (!window.Plotly) {
        el.className += " chart-missing";
        el.textContent = "Charts need plotly.js, which did not load (see the assets folder).";
        continue;
      }
      var spec = decode(JSON.parse(src.textContent));
      if (spec.base && bases) { spec = assemble(spec, decode(bases)); }
      var xa = spec.layout && spec.layout.xaxis;
      if (xa && xa.dtick === 1 && el.clientWidth < 720) { xa.dtick = el.clientWidth < 460 ? 5 : 2; }
      window.Plotly.newPlot(el, spec.data, spec.layout, {
        responsive: true, displaylogo: false, displayModeBar: el.clientWidth < 560 ? false : "hover",
        modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
    }
  }

  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === null) { return 1; }
    if (b === null) { return -1; }
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a) < String(b) ? -1 : 1;
  }

  /* The events table: rows come from compact JSON (<script type="application/json"
     id="events-data">, see tables.EventsTable); only the shown page is in the DOM. */
  function text(v) { return v === null || v === undefined ? "" : String(v); }

  function cellOf(kind, v, classes) {
    var td = document.createElement("td");
    if (kind === "link") {
      var a = document.createElement("a");
      var id = typeof v === "string" ? v : v[0];
      var stem = typeof v === "string" ? v : v[1];
      a.setAttribute("href", "events/" + encodeURIComponent(stem) + ".html");
      a.textContent = id;
      td.appendChild(a);
      return td;
    }
    if (kind === "car") {
      if (v === null) { td.className = "na"; return td; }
      td.className = classes[v[1]];
      td.title = "t = " + v[3] + ", p = " + v[4];
      td.textContent = v[0];
      return td;
    }
    if (kind === "status") { td.className = "status status-" + text(v); }
    else if (kind === "reason") { td.className = "reason"; }
    else if (kind === "desc") { td.className = "desc"; if (v) { td.title = v; } }
    td.textContent = text(v);
    return td;
  }

  function initTable(table) {
    var src = document.getElementById(table.getAttribute("data-rows") || "");
    var ctl = document.querySelector('[data-controls="' + table.id + '"]');
    if (!src || !ctl) { return; }
    var data = JSON.parse(src.textContent);
    var cols = data.columns, classes = data.classes;
    var statusCol = -1;
    cols.forEach(function (c, k) { if (c[2] === "status") { statusCol = k; } });
    var items = data.rows.map(function (r, i) {
      var parts = r.map(function (v, k) {
        var kind = cols[k][2];
        if (kind === "link") { return typeof v === "string" ? v : v[0]; }
        if (kind === "car") { return v === null ? "" : v[0]; }
        return text(v);
      });
      return { r: r, i: i, t: parts.join("\n").toLowerCase(),
               id: parts[0], status: statusCol >= 0 ? text(r[statusCol]) : "" };
    });
    var tbody = table.tBodies[0];
    var q = ctl.querySelector("input[type=search]");
    var status = ctl.querySelector("select[name=status]");
    var size = ctl.querySelector("select[name=size]");
    var info = ctl.querySelector(".info");
    var prev = ctl.querySelector("button.prev");
    var next = ctl.querySelector("button.next");
    var st = { col: -1, dir: 1, page: 0 };

    function key(item, col) {
      var v = item.r[col], kind = cols[col][2];
      if (kind === "car") { return v === null ? null : v[2]; }
      if (kind === "link") { v = typeof v === "string" ? v : v[0]; }
      v = text(v).trim();
      return v === "" ? null : v.toLowerCase();
    }

    function row(item) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-key", item.id);
      tr.setAttribute("data-status", item.status);
      item.r.forEach(function (v, k) { tr.appendChild(cellOf(cols[k][2], v, classes)); });
      return tr;
    }

    function apply() {
      var needle = q.value.trim().toLowerCase();
      var want = status.value;
      var list = items.filter(function (it) {
        return (!want || it.status === want) && (!needle || it.t.indexOf(needle) !== -1);
      });
      if (st.col >= 0) {
        list.sort(function (a, b) {
          var ka = key(a, st.col), kb = key(b, st.col);
          if (ka === null || kb === null) { return compare(ka, kb) || a.i - b.i; }
          return st.dir * compare(ka, kb) || a.i - b.i;
        });
      }
      var per = size.value === "all" ? list.length || 1 : parseInt(size.value, 10);
      var pages = Math.max(1, Math.ceil(list.length / per));
      st.page = Math.min(Math.max(st.page, 0), pages - 1);
      var shown = list.slice(st.page * per, st.page * per + per);
      var frag = document.createDocumentFragment();
      shown.forEach(function (it) { frag.appendChild(row(it)); });
      tbody.textContent = "";
      tbody.appendChild(frag);
      var from = list.length ? st.page * per + 1 : 0;
      info.textContent = from + "\u2013" + (st.page * per + shown.length) + " of " + list.length +
        (list.length !== items.length ? " (filtered from " + items.length + ")" : "");
      prev.disabled = st.page === 0;
      next.disabled = st.page >= pages - 1;
    }

    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", function () {
        st.dir = st.col === col ? -st.dir : 1;
        st.col = col;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", st.dir > 0 ? "ascending" : "descending");
        st.page = 0;
        apply();
      });
    });
    q.addEventListener("input", function () { st.page = 0; apply(); });
    status.addEventListener("change", function () { st.page = 0; apply(); });
    size.addEventListener("change", function () { st.page = 0; apply(); });
    prev.addEventListener("click", function () { st.page -= 1; apply(); });
    next.addEventListener("click", function () { st.page += 1; apply(); });
    ctl.hidden = false;
    apply();
  }

  drawCharts();
  var tables = document.querySelectorAll("table[data-table]");
  for (var i = 0; i < tables.length; i++) { initTable(tables[i]); }
})();

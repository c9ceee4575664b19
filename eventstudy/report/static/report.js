/* eventstudy report: draws the charts and makes the events table sortable,
   filterable and paginated. Plain JavaScript, no libraries besides plotly.js. */
(function () {
  "use strict";

  function drawCharts() {
    var nodes = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { continue; }
      if (!window.Plotly) {
        el.className += " chart-missing";
        el.textContent = "Charts need plotly.js, which did not load (see the assets folder).";
        continue;
      }
      var spec = JSON.parse(src.textContent);
      var xa = spec.layout && spec.layout.xaxis;
      if (xa && xa.dtick === 1 && el.clientWidth < 720) { xa.dtick = el.clientWidth < 460 ? 5 : 2; }
      window.Plotly.newPlot(el, spec.data, spec.layout, {
        responsive: true, displaylogo: false, displayModeBar: el.clientWidth < 560 ? false : "hover",
        modeBarButtonsToRemove: ["lasso2d", "select2d"]
      });
    }
  }

  function cellKey(row, col) {
    var td = row.cells[col];
    if (!td) { return null; }
    var v = td.getAttribute("data-v");
    if (v !== null) { return v === "" ? null : parseFloat(v); }
    var t = td.textContent.trim();
    return t === "" ? null : t.toLowerCase();
  }

  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === null) { return 1; }
    if (b === null) { return -1; }
    if (typeof a === "number" && typeof b === "number") { return a - b; }
    return String(a) < String(b) ? -1 : 1;
  }

  function initTable(table) {
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var ctl = document.querySelector('[data-controls="' + table.id + '"]');
    if (!ctl) { return; }
    var q = ctl.querySelector("input[type=search]");
    var status = ctl.querySelector("select[name=status]");
    var size = ctl.querySelector("select[name=size]");
    var info = ctl.querySelector(".info");
    var prev = ctl.querySelector("button.prev");
    var next = ctl.querySelector("button.next");
    var st = { col: -1, dir: 1, page: 0 };
    rows.forEach(function (r, i) { r._i = i; r._t = r.textContent.toLowerCase(); });

    function apply() {
      var needle = q.value.trim().toLowerCase();
      var want = status.value;
      var list = rows.filter(function (r) {
        return (!want || r.getAttribute("data-status") === want) &&
               (!needle || r._t.indexOf(needle) !== -1);
      });
      if (st.col >= 0) {
        list.sort(function (a, b) {
          var ka = cellKey(a, st.col), kb = cellKey(b, st.col);
          if (ka === null || kb === null) { return compare(ka, kb) || a._i - b._i; }
          return st.dir * compare(ka, kb) || a._i - b._i;
        });
      }
      var per = size.value === "all" ? list.length || 1 : parseInt(size.value, 10);
      var pages = Math.max(1, Math.ceil(list.length / per));
      st.page = Math.min(Math.max(st.page, 0), pages - 1);
      var shown = list.slice(st.page * per, st.page * per + per);
      var frag = document.createDocumentFragment();
      shown.forEach(function (r) { frag.appendChild(r); });
      tbody.textContent = "";
      tbody.appendChild(frag);
      var from = list.length ? st.page * per + 1 : 0;
      info.textContent = from + "\u2013" + (st.page * per + shown.length) + " of " + list.length +
        (list.length !== rows.length ? " (filtered from " + rows.length + ")" : "");
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

(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // Sortable tables: click a column header; numbers sort by their data-value.
  each(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    each(heads, function (th, col) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var numeric = th.classList.contains("num");
        each(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[col];
          if (!cell) { return numeric ? 0 : ""; }
          var v = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
          return numeric ? (parseFloat(v) || 0) : v.toLowerCase();
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var r = numeric ? x - y : x.localeCompare(y, undefined, { numeric: true });
          return ascending ? r : -r;
        });
        each(rows, function (row) { body.appendChild(row); });
      });
    });
  });

  // Filters: text, severity and channel, applied to every issue table.
  var text = document.getElementById("filter-text");
  var severity = document.getElementById("filter-severity");
  var channel = document.getElementById("filter-channel");
  var status = document.getElementById("filter-status");
  if (!text || !severity || !channel) { return; }
  var matches = function (el, sev, chan) {
    var okSeverity = !sev || el.getAttribute("data-severity") === sev;
    var chans = (el.getAttribute("data-channels") || "").split(" ");
    var okChannel = !chan || chans.indexOf(chan) !== -1;
    return okSeverity && okChannel;
  };
  var apply = function () {
    var q = text.value.trim().toLowerCase();
    var sev = severity.value, chan = channel.value;
    var shown = 0, total = 0;
    each(document.querySelectorAll("#code-table tbody tr"), function (row) {
      var ok = matches(row, sev, chan) && (!q || row.textContent.toLowerCase().indexOf(q) !== -1);
      row.classList.toggle("hidden", !ok);
    });
    each(document.querySelectorAll("section.code"), function (section) {
      var head = (section.getAttribute("data-search") || "").toLowerCase();
      var headMatch = !q || head.indexOf(q) !== -1;
      var sectionOk = matches(section, sev, "");
      var visible = 0;
      each(section.querySelectorAll("tbody tr"), function (row) {
        total += 1;
        var ok = sectionOk && matches(row, "", chan) && (headMatch || row.textContent.toLowerCase().indexOf(q) !== -1);
        row.classList.toggle("hidden", !ok);
        if (ok) { visible += 1; }
      });
      shown += visible;
      section.classList.toggle("hidden", visible === 0);
    });
    if (status) { status.textContent = "Showing " + shown + " of " + total + " example rows."; }
  };
  text.addEventListener("input", apply);
  severity.addEventListener("change", apply);
  channel.addEventListener("change", apply);
  window.addEventListener("beforeprint", function () {
    text.value = ""; severity.value = ""; channel.value = ""; apply();
  });
})();

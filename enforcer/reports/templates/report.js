"use strict";
// Sorting and filtering for the enforcer HTML report. No network, no innerHTML: the
// data is only ever read back through textContent, so it cannot become markup.
(function () {
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim().toLowerCase();
  }
  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var c = compare(cellValue(r1, index), cellValue(r2, index));
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function applyFilter(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    if (!table) { return; }
    var text = form.querySelector("input[type=search]");
    var needle = text ? text.value.trim().toLowerCase() : "";
    var selects = form.querySelectorAll("select[data-attr]");
    var shown = 0, rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], ok = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
      for (var j = 0; ok && j < selects.length; j++) {
        var want = selects[j].value;
        if (want && (row.getAttribute(selects[j].getAttribute("data-attr")) || "").split(" ").indexOf(want) === -1) { ok = false; }
      }
      row.hidden = !ok;
      if (ok) { shown++; }
    }
    var out = form.querySelector("output");
    if (out) { out.textContent = shown + " of " + rows.length + " shown"; }
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, index, th); }); }
    });
  });
  document.querySelectorAll("form.filter").forEach(function (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("input", function () { applyFilter(form); });
    form.addEventListener("change", function () { applyFilter(form); });
    form.hidden = false;
    applyFilter(form);
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
}());

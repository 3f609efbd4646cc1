/* Geneva Digital Atlas release site: search and sort for data tables.
   Plain DOM only: reads cells with textContent and moves existing rows; it never builds markup
   from data (no innerHTML), so text from the profiles can never become an element or a script. */
(function () {
  "use strict";

  function rowsOf(table) {
    return Array.prototype.slice.call(table.tBodies[0].rows);
  }

  function setupSearch(input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    var counter = document.getElementById("org-count");
    function apply() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var rows = rowsOf(table);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = terms.every(function (t) { return text.indexOf(t) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (counter) { counter.textContent = shown + " of " + rows.length; }
    }
    input.addEventListener("input", apply);
    apply();
  }

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var first = cell ? (cell.querySelector(".org-name") || cell) : null;
    var text = first ? first.textContent.trim() : "";
    if (numeric) {
      var n = parseFloat(text);
      return isNaN(n) ? null : n;
    }
    return text.toLowerCase();
  }

  function setupSort(table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, index) {
      var button = th.querySelector("button.sort");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var numeric = th.getAttribute("data-type") === "number";
        headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = rowsOf(table);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, numeric);
          var y = cellValue(b, index, numeric);
          if (x === y) { return 0; }
          if (x === null || x === "") { return 1; }   /* empty cells last either way */
          if (y === null || y === "") { return -1; }
          var c = x < y ? -1 : 1;
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function versionParts(v) {
    return v.split(".").map(function (n) { return parseInt(n, 10); });
  }

  function older(a, b) {
    var x = versionParts(a), y = versionParts(b);
    for (var i = 0; i < 3; i += 1) {
      if (x[i] !== y[i]) { return x[i] < y[i]; }
    }
    return false;
  }

  /* Compare versions: the two selects point the link at the page of that pair (older first). */
  function setupDiffPicker(picker) {
    var from = document.getElementById("diff-from");
    var to = document.getElementById("diff-to");
    var go = document.getElementById("diff-go");
    var note = document.getElementById("diff-note");
    var pages = {};
    Array.prototype.forEach.call(document.querySelectorAll("a[data-pair]"), function (a) {
      pages[a.getAttribute("data-pair")] = a.getAttribute("href");
    });
    function update() {
      var a = from.value, b = to.value;
      if (a === b) {
        go.setAttribute("aria-disabled", "true");
        go.removeAttribute("href");
        note.textContent = "Pick two different versions.";
        return;
      }
      var pair = older(a, b) ? a + ".." + b : b + ".." + a;
      if (pages[pair]) {
        go.setAttribute("href", pages[pair]);
        go.removeAttribute("aria-disabled");
        note.textContent = older(a, b) ? "" : "Shown from the older version to the newer one.";
      }
    }
    from.addEventListener("change", update);
    to.addEventListener("change", update);
    update();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input.table-search"), setupSearch);
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setupSort);
    var picker = document.getElementById("diff-picker");
    if (picker) { setupDiffPicker(picker); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());

/* Findings list: filter by severity, status (open or corrected), rule, file and organisation,
   search the text, and page through the matches; copy a suggested correction entry. Shared by report.html (inlined, allowed by the page's CSP hash) and the
   site's review page (static/findings.js). Plain DOM only: it shows and hides the list items the
   page already has and never builds markup from data (no innerHTML). Without it, every finding
   is listed. */
(function () {
  "use strict";
  var PAGE_SIZE = 50;

  function setup(box) {
    var list = box.querySelector("ol.findings-list");
    var controls = box.querySelector(".findings-controls");
    if (!list || !controls) { return; }
    var items = Array.prototype.slice.call(list.children);
    var texts = null;
    var fields = ["severity", "status", "rule", "file", "org"];
    var selects = {};
    fields.forEach(function (name) { selects[name] = controls.querySelector("select[data-filter='" + name + "']"); });
    var search = controls.querySelector("input[type='search']");
    var status = box.querySelector(".findings-status");
    var prev = box.querySelector("button.findings-prev");
    var next = box.querySelector("button.findings-next");
    var page = 0;
    var matches = items;

    function textOf(i) {
      if (texts === null) { texts = items.map(function (li) { return li.textContent.toLowerCase(); }); }
      return texts[i];
    }

    function filter() {
      var wanted = {};
      fields.forEach(function (name) { wanted[name] = selects[name] ? selects[name].value : ""; });
      var terms = search ? search.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
      matches = items.filter(function (li, i) {
        for (var k = 0; k < fields.length; k += 1) {
          var name = fields[k];
          if (wanted[name] && li.getAttribute("data-" + name) !== wanted[name]) { return false; }
        }
        if (!terms.length) { return true; }
        var text = textOf(i);
        return terms.every(function (t) { return text.indexOf(t) !== -1; });
      });
      page = 0;
      show();
    }

    function show() {
      var pages = Math.max(1, Math.ceil(matches.length / PAGE_SIZE));
      page = Math.min(Math.max(page, 0), pages - 1);
      var first = page * PAGE_SIZE;
      var shown = matches.slice(first, first + PAGE_SIZE);
      var visible = new Set(shown);
      items.forEach(function (li) { li.hidden = !visible.has(li); });
      if (status) {
        status.textContent = matches.length
          ? (matches.length + " of " + items.length + " findings match; showing " + (first + 1) + "–" + (first + shown.length) +
             " (page " + (page + 1) + " of " + pages + ")")
          : ("No finding matches (" + items.length + " in all).");
      }
      if (prev) { prev.disabled = page === 0; }
      if (next) { next.disabled = page >= pages - 1; }
    }

    box.querySelectorAll("button.copy-entry").forEach(setupCopy);
    fields.forEach(function (name) { if (selects[name]) { selects[name].addEventListener("change", filter); } });
    if (search) { search.addEventListener("input", filter); }
    if (prev) { prev.addEventListener("click", function () { page -= 1; show(); }); }
    if (next) { next.addEventListener("click", function () { page += 1; show(); }); }
    controls.hidden = false;
    box.querySelectorAll(".findings-pager").forEach(function (el) { el.hidden = false; });
    filter();
  }

  /* The button copies its entry to the clipboard; where the page may not (a file:// page, an
     older browser), it selects the entry's text so Ctrl+C copies it. */
  function setupCopy(button) {
    var code = button.parentNode.querySelector("pre.correction-entry");
    if (!code) { return; }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(code);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
    button.addEventListener("click", function () {
      var text = code.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; }, function () {
          select();
          button.textContent = "Selected: press Ctrl+C";
        });
      } else {
        select();
        button.textContent = "Selected: press Ctrl+C";
      }
    });
    button.hidden = false;
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-findings]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());

/* Findings list: filter by severity, status (open or corrected), rule, file and organisation,
   search the text, and page through the matches; copy a suggested correction entry. Shared by
   report.html (inlined in its head, allowed by the page's CSP hash) and the site's review page
   (static/findings.js, in the head). Plain DOM only: it shows and hides the list items the page
   already has and never builds markup from data (no innerHTML). Without it, every finding is
   listed.

   Loaded in the head, it marks the page at once ("findings-js"), so the stylesheet shows only the
   items marked "on" from the first layout: hiding thousands of items after they were laid out
   costs Chromium seconds per thousand when they hold <details>. A list this script could not set
   up is marked "findings-plain" and shows every item. Paging then changes the marks of the items
   that appear or disappear only. */
(function () {
  "use strict";
  var PAGE_SIZE = 50;
  document.documentElement.classList.add("findings-js");

  function setup(box) {
    var list = box.querySelector("ol.findings-list");
    var controls = box.querySelector(".findings-controls");
    if (!list || !controls) { return false; }
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
    var current = [];  // the items shown now (marked "on")

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
      current.forEach(function (li) { if (!visible.has(li)) { li.classList.remove("on"); } });
      shown.forEach(function (li) { li.classList.add("on"); });
      current = shown;
      if (status) {
        status.textContent = matches.length
          ? (matches.length + " of " + items.length + " findings match; showing " + (first + 1) + "–" + (first + shown.length) +
             " (page " + (page + 1) + " of " + pages + ")")
          : ("No finding matches (" + items.length + " in all).");
      }
      if (prev) { prev.disabled = page === 0; }
      if (next) { next.disabled = page >= pages - 1; }
    }

    box.addEventListener("toggle", function (event) {  // "toggle" does not bubble: caught on its way down
      var details = event.target;
      if (details.open && details.classList && details.classList.contains("finding-correction")) { addCopy(details); }
    }, true);
    fields.forEach(function (name) { if (selects[name]) { selects[name].addEventListener("change", filter); } });
    if (search) { search.addEventListener("input", filter); }
    if (prev) { prev.addEventListener("click", function () { page -= 1; show(); }); }
    if (next) { next.addEventListener("click", function () { page += 1; show(); }); }
    controls.hidden = false;
    box.querySelectorAll(".findings-pager").forEach(function (el) { el.hidden = false; });
    filter();
  }

  /* An opened correction entry gets a button that copies it to the clipboard; where the page may
     not (a file:// page, an older browser), the button selects the entry so Ctrl+C copies it. The
     button is made when the entry is first opened (thousands of findings cost no buttons). */
  function addCopy(details) {
    var code = details.querySelector("pre.correction-entry");
    if (!code || details.querySelector("button.copy-entry")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-entry";
    button.textContent = "Copy the entry";
    function select() {
      var range = document.createRange();
      range.selectNodeContents(code);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      button.textContent = "Selected: press Ctrl+C";
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(function () { button.textContent = "Copied"; }, select);
      } else {
        select();
      }
    });
    details.appendChild(button);
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-findings]"), function (box) {
      try {
        if (setup(box) === false) { box.classList.add("findings-plain"); }
      } catch (error) {
        box.classList.add("findings-plain");  // every finding stays listed
        throw error;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());

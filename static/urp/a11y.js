/* Names for the admin's form controls that Django draws without one (axe "label",
   "select-name", "aria-prohibited-attr"): the cells of tabular inlines and of editable lists
   (labelled by their column's header, as a sighted user reads them), the date and time halves
   of a split date-time field, and the search icons of the two-box selector (an aria-label on a
   plain span, which screen readers ignore, becomes an image's name). */
(function () {
  "use strict";

  function columnHeader(cell) {
    var table = cell.closest("table");
    if (!table || !table.tHead) { return ""; }
    var index = 0, sibling = cell;
    while ((sibling = sibling.previousElementSibling)) { index += sibling.colSpan || 1; }
    var row = table.tHead.rows[table.tHead.rows.length - 1];
    var column = 0;
    for (var i = 0; i < row.cells.length; i++) {
      if (column === index) { return row.cells[i].textContent.trim(); }
      column += row.cells[i].colSpan || 1;
    }
    return "";
  }

  function hasName(control) {
    if (control.getAttribute("aria-label") || control.getAttribute("aria-labelledby")) { return true; }
    if (control.closest("label")) { return true; }
    return Boolean(control.id && document.querySelector('label[for="' + control.id + '"]'));
  }

  function nameControls(root) {
    root.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (control) {
      if (hasName(control)) { return; }
      var cell = control.closest("td, th");
      var name = cell ? columnHeader(cell) : "";
      var split = control.id && control.id.match(/^(.*)_([01])$/);
      if (!name && split) {
        var field = document.querySelector('label[for="' + split[1] + '_0"], label[for="' + split[1] + '"]');
        var own = control.closest("p") && control.closest("p").firstChild;
        var part = own && own.nodeType === 3 ? own.textContent.replace(":", "").trim() : "";
        name = [field ? field.textContent.replace(":", "").trim() : "", part].filter(Boolean).join(" – ");
      }
      if (!name && control.name) {
        name = control.name.replace(/^form-\d+-|^[a-z_]+-\d+-/, "").replace(/_/g, " ");
      }
      if (name) { control.setAttribute("aria-label", name); }
    });
    root.querySelectorAll(".search-label-icon, .help-tooltip[aria-label]").forEach(function (icon) {
      if (!icon.getAttribute("role")) { icon.setAttribute("role", "img"); }
    });
  }

  function start() {
    nameControls(document);
    // Inlines added with "Aggiungi" and the two-box selectors are drawn after the page loads.
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) { nameControls(node.parentNode || node); }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();

/* Casualty rows added in the page: the empty row of the <template> is copied with its next
 * number, and the formset's TOTAL_FORMS follows. Without this script the "add a casualty"
 * button sends the form back with one more row, which works the same. */
(function () {
  "use strict";

  function addRow(button) {
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var rows = document.getElementById(button.getAttribute("data-formset-rows"));
    var template = document.getElementById(button.getAttribute("data-formset-template"));
    if (!total || !rows || !template) { return false; }
    var index = parseInt(total.value, 10) || 0;
    if (max && index >= (parseInt(max.value, 10) || 1000)) { return false; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    row.classList.add("added");
    rows.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("select, input:not([type=hidden]), textarea");
    if (first) { first.focus(); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (button && addRow(button)) { event.preventDefault(); }
  });

  // Sent back by the server with one more row: the keyboard goes on where the person was.
  var focus = document.querySelector("fieldset.casualty[data-focus]");
  if (focus) {
    var field = focus.querySelector("select, input:not([type=hidden]), textarea");
    if (field) { field.focus(); }
  }
})();

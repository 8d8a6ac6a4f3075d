// The approved template's live preview in the reply box (outside the 24-hour window): the body
// with the parameters as typed, and only the fields the chosen template has.
(function () {
  var data = document.getElementById("reply-templates");
  var preview = document.getElementById("reply-template-preview");
  var form = preview ? preview.closest("section").querySelector("form") : null;
  if (!data || !preview || !form) { return; }
  var templates = JSON.parse(data.textContent);
  var select = form.querySelector("select[name$='template']");
  var inputs = Array.prototype.slice.call(form.querySelectorAll("[data-template-parameter]"));
  function chosen() {
    return templates.filter(function (t) { return t.name === select.value; })[0];
  }
  function render() {
    var template = chosen();
    inputs.forEach(function (input) {
      var n = Number(input.getAttribute("data-template-parameter"));
      var wrapper = input.closest(".mb-3") || input.parentNode;
      wrapper.hidden = !template || n > template.parameters;
    });
    if (!template) { preview.textContent = ""; return; }
    preview.textContent = template.body.replace(/\{\{\s*(\d+)\s*\}\}/g, function (match, n) {
      var input = inputs[Number(n) - 1];
      return input && input.value.trim() ? input.value : match;
    });
  }
  select.addEventListener("change", render);
  inputs.forEach(function (input) { input.addEventListener("input", render); });
  render();
})();

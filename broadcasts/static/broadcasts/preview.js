/* Live preview of a WhatsApp message in the admin, as the citizen will read it: fills the
   numbered parameters {{1}}, {{2}} ... into the body as one types, and applies WhatsApp's
   formatting. The same rules as broadcasts/preview.py. No dependencies. */
(function () {
  "use strict";

  var PARAMETER = /\{\{\s*(\d+)\s*\}\}/g;

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }

  function format(html) {
    return html
      .replace(/```([\s\S]+?)```/g, "<code>$1</code>")
      .replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])/g, "$1<strong>$2</strong>")
      .replace(/(^|[^\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])/g, "$1<em>$2</em>")
      .replace(/(^|[^\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])/g, "$1<s>$2</s>")
      .replace(/\n/g, "<br>");
  }

  function numbersIn(body) {
    var found = {}, match;
    PARAMETER.lastIndex = 0;
    while ((match = PARAMETER.exec(body)) !== null) { found[Number(match[1])] = true; }
    return Object.keys(found).map(Number).sort(function (a, b) { return a - b; });
  }

  /* The body with its values in place; a missing value stays visible as {{n}}, marked. */
  function render(body, values) {
    var missing = [];
    var html = escapeHtml(body).replace(PARAMETER, function (whole, n) {
      var value = (values[Number(n) - 1] || "").trim();
      if (!value) { missing.push(n); return '<mark class="wa-missing">{{' + n + "}}</mark>"; }
      return escapeHtml(value);
    });
    return { html: format(html), missing: missing };
  }

  function show(html, missing) {
    var bubble = document.getElementById("wa-preview");
    var note = document.getElementById("wa-preview-missing");
    if (!bubble) { return; }
    bubble.innerHTML = html;
    if (note) {
      note.textContent = missing.length
        ? "Mancano i valori di: " + missing.map(function (n) { return "{{" + n + "}}"; }).join(", ")
        : "";
    }
  }

  /* The template's own form: sample values, one input per parameter of the body. */
  function templateForm(body) {
    var holder = document.getElementById("wa-sample-parameters");
    var samples = [];
    function redraw() {
      var numbers = numbersIn(body.value);
      while (holder && holder.children.length < numbers.length) {
        var input = document.createElement("input");
        input.type = "text";
        input.className = "vTextField";
        input.placeholder = "{{" + (holder.children.length + 1) + "}}";
        input.setAttribute("aria-label", "Valore di prova per {{" + (holder.children.length + 1) + "}}");
        input.addEventListener("input", redraw);
        holder.appendChild(input);
      }
      samples = holder ? Array.prototype.map.call(holder.children, function (i) { return i.value; }) : [];
      var result = render(body.value, samples);
      show(result.html, result.missing);
    }
    body.addEventListener("input", redraw);
    redraw();
  }

  /* The campaign's form: the chosen template's body with the values typed one per line, or the
     free text. */
  function campaignForm(template, parameters, text) {
    var source = document.getElementById("wa-template-bodies");
    var bodies = source ? JSON.parse(source.textContent) : {};
    function redraw() {
      var body = template && template.value ? bodies[template.value] || "" : "";
      if (!body) {
        var free = text ? text.value : "";
        show(format(escapeHtml(free)), []);
        return;
      }
      var values = parameters ? parameters.value.split(/\r?\n/) : [];
      var result = render(body, values);
      show(result.html, result.missing);
    }
    [template, parameters, text].forEach(function (field) {
      if (field) {
        field.addEventListener("input", redraw);
        field.addEventListener("change", redraw);
      }
    });
    redraw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.querySelector("[data-wa-body]");
    if (body) { templateForm(body); return; }
    var template = document.querySelector("[data-wa-template]");
    var parameters = document.querySelector("[data-wa-parameters]");
    var text = document.querySelector("[data-wa-text]");
    if (template || parameters || text) { campaignForm(template, parameters, text); }
  });

  window.waPreview = { render: render, numbersIn: numbersIn };
})();

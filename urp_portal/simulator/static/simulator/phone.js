// The citizen's phone: sends through the page's form, polls the conversation every 2 seconds.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sim-config").textContent);
  var chat = document.getElementById("sim-chat");
  var composer = document.getElementById("sim-composer");
  var errorBox = document.getElementById("sim-error");
  var citizen = document.getElementById("sim-citizen");
  var lastSignature = "";

  function ticks(message) {
    if (!message.mine) return "";
    if (message.status === "failed") return '<span class="sim-ticks failed" title="' + escapeHtml(message.status_label) + '">⚠</span>';
    if (message.status === "pending") return '<span class="sim-ticks" title="' + escapeHtml(message.status_label) + '">…</span>';
    return '<span class="sim-ticks delivered" title="' + escapeHtml(message.status_label) + '">✓✓</span>';
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function bubble(message) {
    var html = "";
    if (message.media_url) {
      if (message.kind === "image" || message.kind === "sticker") {
        html += '<img src="' + escapeHtml(message.media_url) + '" alt="foto">';
      } else if (message.kind === "audio") {
        html += '<audio controls preload="none" src="' + escapeHtml(message.media_url) + '"></audio>';
      } else {
        html += '📄 <a href="' + escapeHtml(message.media_url) + '" target="_blank" rel="noopener">' + escapeHtml(message.kind) + "</a>";
      }
    }
    if (message.body) html += '<span class="sim-body">' + escapeHtml(message.body) + "</span>";
    if (message.error && message.mine) html += '<span class="sim-fail">' + escapeHtml(message.error) + "</span>";
    html += '<span class="sim-meta">' + escapeHtml(message.time) + ticks(message) + "</span>";
    var li = document.createElement("li");
    li.className = "sim-bubble " + (message.mine ? "mine" : "theirs");
    li.innerHTML = html;
    return li;
  }

  function render(messages) {
    var signature = messages.map(function (m) { return m.id + ":" + m.status; }).join(",");
    if (signature === lastSignature) return;
    lastSignature = signature;
    var atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    chat.innerHTML = "";
    messages.forEach(function (m) { chat.appendChild(bubble(m)); });
    if (atBottom || messages.length) chat.scrollTop = chat.scrollHeight;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }

  function poll() {
    fetch(config.conversationUrl + "?number=" + encodeURIComponent(config.number) +
      "&business_number=" + encodeURIComponent(config.businessNumber || ""), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { render(data.messages); })
      .catch(function () { /* the next poll tries again */ });
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(composer);
    fetch(composer.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) {
        var errors = result.body.errors || {};
        var first = Object.keys(errors).map(function (k) { return errors[k][0].message; })[0];
        showError(first || "Invio non riuscito.");
        return;
      }
      showError("");
      composer.querySelector("[name=text]").value = "";
      composer.querySelector("[name=sample]").value = "";
      poll();
    }).catch(function () { showError("Invio non riuscito: il server non risponde."); });
  });

  var business = document.getElementById("sim-business");
  if (business) {
    business.addEventListener("change", function () {
      document.getElementById("sim-who-form").submit();
    });
  }

  citizen.addEventListener("change", function () {
    var option = citizen.options[citizen.selectedIndex];
    document.getElementById("sim-number").value = option.value;
    document.getElementById("sim-name").value = option.dataset.name || "";
    document.getElementById("sim-who-form").submit();
  });

  render(JSON.parse(document.getElementById("sim-initial").textContent));
  setInterval(poll, 2000);
})();

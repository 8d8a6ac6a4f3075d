/* The live console (issue 20): the inbox and the open conversation follow what happens without
   reloading, the title counts the conversations waiting for me, colleagues on the same
   conversation are shown, and the keyboard reaches the daily actions.

   How: every 2 s a GET of the live view (tickets/admin/live.py) with the cursors of the last
   changes this page knows and the stamp it was last given: when nothing changed, the answer is
   that stamp again. The inbox sends its own query: the answer then carries the changed rows,
   drawn as the inbox draws them, each with its place in the inbox's order, and the page patches
   them in place (moved up, taken out, the title's count). The open conversation, when its own
   ticket changed, fetches its page again and swaps only its live parts (the reply being written
   is never touched). After a network blip the next poll carries the old cursors, so the page
   catches up on everything it missed; too far behind, it is fetched whole. */
(function () {
  "use strict";
  var POLL_MS = 2000;
  // A hidden tab (another tab in front, a minimised window) asks less often; it catches up,
  // whole, as soon as it is shown again.
  var HIDDEN_POLL_MS = 15000;
  // A patched inbox is fetched whole now and then: a ticket turns late with the clock, not with
  // a change, and the counts above the list follow.
  var FULL_REDRAW_MS = 60000;
  var BACKGROUND = "X-URP-Background";
  var backgroundHeaders = { "X-URP-Background": "1" };
  var configNode = document.getElementById("live-config");
  if (!configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var cursor = { m: config.m, e: config.e, v: "" };
  var askRows = new Set();  // tickets whose row to ask for again (a change that committed late)
  var lastFullDraw = Date.now();
  var staleWhileSelecting = false;
  var seenKeys = new Set();
  var baseTitle = document.title;
  var signature = config.signature;
  var lastTyped = 0, lastTypingSent = 0;
  var refreshing = false, pendingRefresh = false, timer = null;
  var isConversation = Boolean(config.ticket);
  var prefsKey = "urp-live-" + config.user;
  var prefs = {};
  try { prefs = JSON.parse(localStorage.getItem(prefsKey) || "{}"); } catch (e) { prefs = {}; }

  function $(selector, root) { return (root || document).querySelector(selector); }
  function replyText() { return document.getElementById("id_reply_text"); }

  // --- sound and desktop notifications: opt-in, remembered per operator -----------------------
  var soundBox = document.getElementById("live-sound");
  var notifyBox = document.getElementById("live-notify");
  if (soundBox) {
    soundBox.checked = Boolean(prefs.sound);
    soundBox.addEventListener("change", function () { prefs.sound = soundBox.checked; savePrefs(); });
  }
  if (notifyBox) {
    notifyBox.checked = Boolean(prefs.notify) && window.Notification && Notification.permission === "granted";
    notifyBox.addEventListener("change", function () {
      prefs.notify = notifyBox.checked;
      savePrefs();
      if (notifyBox.checked && window.Notification && Notification.permission !== "granted") {
        Notification.requestPermission().then(function (answer) {
          if (answer !== "granted") { notifyBox.checked = false; prefs.notify = false; savePrefs(); }
        });
      }
    });
  }
  function savePrefs() { try { localStorage.setItem(prefsKey, JSON.stringify(prefs)); } catch (e) { /* private mode */ } }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    var audio = new Context(), tone = audio.createOscillator(), volume = audio.createGain();
    tone.frequency.value = 880;
    volume.gain.setValueAtTime(0.15, audio.currentTime);
    volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(volume); volume.connect(audio.destination);
    tone.start(); tone.stop(audio.currentTime + 0.4);
  }

  function alertPerson(text, ticket) {
    if (prefs.sound) { beep(); }
    if (prefs.notify && window.Notification && Notification.permission === "granted") {
      var note = new Notification(text, { tag: "urp-" + ticket, body: "#" + ticket });
      note.onclick = function () { window.focus(); location.href = config.inboxUrl + ticket + "/conversation/"; };
    }
  }

  // --- the poll ---------------------------------------------------------------------------------
  function status(text) { var node = document.getElementById("live-status"); if (node) { node.textContent = text; } }

  function poll() {
    clearTimeout(timer);
    var url = config.liveUrl + "?m=" + cursor.m + "&e=" + cursor.e + "&v=" + encodeURIComponent(cursor.v);
    // The list to patch and its view (filters, search): the inbox, or the inbox beside the
    // conversation on a wide screen.
    if (!isConversation) { url += "&inbox=" + encodeURIComponent(location.search.replace(/^\?/, "")); }
    else if (sideInbox) { url += "&inbox="; }
    if (askRows.size) { url += "&rows=" + Array.from(askRows).join(","); askRows.clear(); }
    if (isConversation) {
      var typing = Date.now() - lastTyped < 4000;
      url += "&t=" + config.ticket + (typing ? "&typing=1" : "");
      if (typing) { lastTypingSent = Date.now(); }
    }
    var headers = { "Accept": "application/json" };
    // Typing is the person's activity; a poll alone does not keep an idle session open.
    if (!(isConversation && Date.now() - lastTyped < 4000)) { headers[BACKGROUND] = "1"; }
    fetch(url, { credentials: "same-origin", headers: headers })
      .then(function (response) {
        if (response.redirected || response.status === 302 || response.status === 401 || response.status === 403) {
          location.reload(); // signed out: the sign-in page
          throw new Error("signed out");
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { status(""); apply(data); })
      .catch(function () { status(config.texts.offline); })
      .finally(function () { timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS); });
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });

  function apply(data) {
    var before = cursor;
    cursor = { m: data.m, e: data.e, v: data.v || "" };
    // Left out when nothing changed: the count stays what it was.
    if (data.waiting !== undefined) {
      document.title = (data.waiting ? "(" + data.waiting + ") " : "") + baseTitle;
    }
    var relevant = false, anything = false;
    data.changes.forEach(function (change) {
      var key = change[0], ticket = change[1], isNew = change[2], forMe = change[3];
      if (seenKeys.has(key)) { return; }
      seenKeys.add(key);
      anything = true;
      if (!isConversation || ticket === config.ticket) { relevant = true; }
      // A change under the cursor this poll was sent with committed late: the answer drew no
      // row for it, the next poll asks for that row.
      var id = parseInt(key.slice(1), 10);
      if (id <= (key[0] === "m" ? before.m : before.e)) { askRows.add(ticket); }
      if (isNew) { alertPerson(config.texts.newConversation, ticket); }
      else if (forMe && ticket !== config.ticket) { alertPerson(config.texts.newMessage, ticket); }
    });
    if (seenKeys.size > 2000) { seenKeys = new Set(Array.from(seenKeys).slice(-500)); }
    if (isConversation) {
      showColleagues(data.colleagues || []);
      if (data.signature !== undefined && data.signature !== signature) { relevant = true; }
      if (data.full) { relevant = true; }
      if (relevant) { refresh(); }
      if (sideInbox && data.full) { refreshSideInbox(); }
      else if (sideInbox && data.rows) { patchSideInbox(data.rows); }
      return;
    }
    var selecting = document.querySelector("#result_list .action-select:checked");
    if (selecting) {
      // A selection being made for a bulk action is not pulled from under the operator: the
      // list is fetched whole once the selection is done.
      if (relevant || data.rows) { staleWhileSelecting = true; }
      return;
    }
    if (data.full || staleWhileSelecting || Date.now() - lastFullDraw > FULL_REDRAW_MS) {
      staleWhileSelecting = false;
      refresh();
    } else if (data.rows) {
      patchInbox(data.rows);
    }
  }

  // --- patching rows in place -------------------------------------------------------------------
  // Puts `node` (its data-order its place in the inbox's order) among `container`'s children
  // matching `selector`; a list of `limit` rows that ends before it leaves it out (its place is
  // on a later page).
  function placeRow(container, selector, node, limit) {
    var rows = container.querySelectorAll(selector);
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].dataset.order > node.dataset.order) { container.insertBefore(node, rows[i]); return; }
    }
    if (!limit || rows.length < limit) { container.appendChild(node); }
  }

  function trimRows(container, selector, limit) {
    var rows = container.querySelectorAll(selector);
    for (var i = limit; limit && i < rows.length; i++) { rows[i].remove(); }
  }

  function rowFromCells(row) {
    var tr = document.createElement("tr");
    tr.dataset.ticket = row[0];
    tr.dataset.order = row[2];
    // Drawn by the server as the inbox page draws it, every value escaped there.
    tr.innerHTML = row[1];
    return tr;
  }

  function patchInbox(rows) {
    var body = $("#result_list tbody");
    if (!body || !body.querySelector("tr[data-order]")) { refresh(); return; }  // no list to patch yet
    rows.forEach(function (row) {
      var old = body.querySelector('tr[data-ticket="' + row[0] + '"]');
      if (old) { old.remove(); }
      if (row[1] === null) { return; }  // no longer in this view
      var tr = rowFromCells(row);
      tr.classList.add("live-changed");
      placeRow(body, "tr[data-ticket]", tr, config.perPage);
    });
    trimRows(body, "tr[data-ticket]", config.perPage);
  }

  function showColleagues(colleagues) {
    var node = document.getElementById("presence");
    if (!node) { return; }
    node.textContent = "";
    colleagues.forEach(function (colleague) {
      var span = document.createElement("span");
      span.className = "colleague" + (colleague.typing ? " typing" : "");
      span.textContent = (colleague.typing ? config.texts.typing : config.texts.viewing).replace("%(name)s", colleague.name);
      node.appendChild(span);
    });
  }

  // --- swapping the page's live parts -----------------------------------------------------------
  function refresh() {
    if (refreshing) { pendingRefresh = true; return; }
    refreshing = true;
    var url = isConversation ? location.pathname + "?live=1" : location.href;
    fetch(url, { credentials: "same-origin", headers: backgroundHeaders })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (isConversation) { swapConversation(fresh); } else { swapInbox(fresh); lastFullDraw = Date.now(); }
      })
      .catch(function () { status(config.texts.offline); })
      .finally(function () {
        refreshing = false;
        if (pendingRefresh) { pendingRefresh = false; refresh(); }
      });
  }

  function swapConversation(fresh) {
    var chat = $("[data-live-part=chat]");
    var atBottom = chat && chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    document.querySelectorAll("[data-live-part]").forEach(function (part) {
      var replacement = $("[data-live-part=" + part.dataset.livePart + "]", fresh);
      if (replacement) { part.replaceWith(document.importNode(replacement, true)); }
    });
    var freshConfig = $("#live-config", fresh);
    if (freshConfig) { signature = JSON.parse(freshConfig.textContent).signature; }
    chat = $("[data-live-part=chat]");
    if (chat && atBottom) { chat.scrollTop = chat.scrollHeight; }
    // What arrived is on the screen now: a reply not yet begun has seen it; one being written
    // keeps its older mark, and sending it asks first (ReplyCollision).
    var seen = document.getElementById("id_reply_seen_message");
    var text = replyText();
    if (chat && seen && text && !text.value.trim()) { seen.value = chat.dataset.lastMessage; }
    bindFillButtons();
  }

  function swapInbox(fresh) {
    // A selection being made for a bulk action is not pulled from under the operator.
    if (document.querySelector("#result_list .action-select:checked")) { staleWhileSelecting = true; return; }
    [".inbox-summary", "#result_list", ".paginator", "#changelist-search .quiet", ".actions .action-counter"].forEach(function (selector) {
      var old = $(selector), replacement = $(selector, fresh);
      if (old && replacement) { old.replaceWith(document.importNode(replacement, true)); }
    });
  }

  // --- on a wide screen, the inbox beside the conversation ---------------------------------------
  var wide = isConversation && window.matchMedia && window.matchMedia("(min-width: 1500px)").matches;
  var sideInbox = null;
  if (wide) {
    sideInbox = document.createElement("nav");
    sideInbox.className = "side-inbox";
    sideInbox.setAttribute("aria-label", config.texts.inbox);
    var conversation = document.getElementById("conversation");
    var main = document.createElement("div");
    main.className = "conversation-main";
    while (conversation.firstChild) { main.appendChild(conversation.firstChild); }
    conversation.classList.add("with-inbox");
    conversation.append(sideInbox, main);
  }

  var SIDE_LIMIT = 50;  // the inbox's page

  function fillSideInbox(fresh) {
    if (!sideInbox) { return; }
    var list = document.createElement("ul");
    fresh.querySelectorAll("#result_list tbody tr").forEach(function (row) {
      var item = sideItem(row);
      if (item) { list.appendChild(item); }
    });
    sideInbox.replaceChildren(list);
  }

  function patchSideInbox(rows) {
    var list = sideInbox && sideInbox.querySelector("ul");
    if (!list) { refreshSideInbox(); return; }
    rows.forEach(function (row) {
      var old = list.querySelector('li[data-ticket="' + row[0] + '"]');
      if (old) { old.remove(); }
      if (row[1] === null) { return; }
      var item = sideItem(rowFromCells(row));
      if (item) { placeRow(list, "li[data-ticket]", item, SIDE_LIMIT); }
    });
    trimRows(list, "li[data-ticket]", SIDE_LIMIT);
  }

  // One conversation of the side inbox, out of its row in the inbox.
  function sideItem(row) {
    var link = row.querySelector("a.ticket-number");
    if (!link) { return null; }
    var item = document.createElement("li");
    item.dataset.ticket = row.dataset.ticket || "";
    item.dataset.order = row.dataset.order || "";
    var anchor = document.createElement("a");
    anchor.href = link.getAttribute("href");
    if (anchor.pathname === location.pathname) { anchor.setAttribute("aria-current", "page"); }
    var citizen = row.querySelector(".field-citizen a");
    var state = row.querySelector(".field-state_badge .badge");
    var unread = row.querySelector(".badge.unread");
    var preview = row.querySelector(".field-preview");
    anchor.innerHTML = "";
    var head = document.createElement("span");
    head.className = "head";
    head.textContent = link.textContent + " · " + (citizen ? citizen.textContent : "");
    anchor.appendChild(head);
    if (state) { anchor.appendChild(document.importNode(state, true)); }
    if (unread) { anchor.appendChild(document.importNode(unread, true)); }
    if (preview) {
      var words = document.createElement("span");
      words.className = "words";
      words.textContent = preview.textContent.trim();
      anchor.appendChild(words);
    }
    item.appendChild(anchor);
    return item;
  }

  function refreshSideInbox() {
    if (!sideInbox) { return; }
    fetch(config.inboxUrl, { credentials: "same-origin", headers: backgroundHeaders })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { fillSideInbox(new DOMParser().parseFromString(html, "text/html")); })
      .catch(function () { status(config.texts.offline); });
  }

  // --- the reply box ----------------------------------------------------------------------------
  var text = replyText();
  if (text) {
    text.addEventListener("input", function () {
      lastTyped = Date.now();
      // Colleagues see "is typing" at once, not at the next poll.
      if (Date.now() - lastTypingSent > 3000) { poll(); }
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        var form = text.form;
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
  }
  var cannedNode = document.getElementById("canned-texts");
  var cannedSelect = document.getElementById("id_reply_canned_answer");
  var cannedTexts = cannedNode ? JSON.parse(cannedNode.textContent) : {};
  function useCanned(id) {
    if (!cannedSelect || !text || !cannedTexts[id]) { return; }
    cannedSelect.value = id;
    text.value = cannedTexts[id];
    text.focus();
    lastTyped = Date.now();
  }
  if (cannedSelect) { cannedSelect.addEventListener("change", function () { useCanned(cannedSelect.value); }); }
  var cannedSearch = document.getElementById("canned-search");
  if (cannedSearch) {
    cannedSearch.addEventListener("change", function () {
      var wanted = cannedSearch.value.trim().toLowerCase();
      document.querySelectorAll("#canned-list option").forEach(function (option) {
        if (option.value.toLowerCase() === wanted) { useCanned(option.dataset.id); }
      });
    });
  }

  function bindFillButtons() {
    document.querySelectorAll("[data-fill-reply]").forEach(function (button) {
      if (button.dataset.bound) { return; }
      button.dataset.bound = "1";
      button.addEventListener("click", function () {
        if (!text) { return; }
        text.value = button.dataset.fillReply;
        text.focus();
        text.scrollIntoView({ block: "center" });
        lastTyped = Date.now();
      });
    });
  }
  bindFillButtons();

  // --- confirmations for what writes to the citizen ---------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) { event.preventDefault(); }
  });
  var serviceForm = document.getElementById("form-service_answer");
  if (serviceForm) {
    serviceForm.addEventListener("submit", function (event) {
      var direct = serviceForm.querySelector("[name=send_to_citizen]");
      if (direct && direct.checked && !window.confirm(config.texts.sendToCitizen)) { event.preventDefault(); }
    });
  }

  // --- keyboard ---------------------------------------------------------------------------------
  var dialog = document.getElementById("shortcuts");
  document.querySelectorAll("[data-shortcuts]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); if (dialog) { dialog.showModal(); } });
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var editing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (editing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "?" && dialog) { event.preventDefault(); dialog.showModal(); return; }
    if (event.key === "/") {
      var search = cannedSearch || document.getElementById("searchbar");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (!isConversation) { return; }
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      location.href = config.nextUrl + (event.key === "k" ? "?dir=prev" : "");
    } else if (event.key === "a" || event.key === "r") {
      var button = document.querySelector("button[data-key=" + event.key + "]");
      if (button) { event.preventDefault(); button.click(); }
    }
  });

  var chatNode = $("[data-live-part=chat]");
  if (chatNode) { chatNode.scrollTop = chatNode.scrollHeight; }
  refreshSideInbox();
  timer = setTimeout(poll, isConversation ? 300 : POLL_MS);
})();

/* botdesk web chat page: anonymous visitor key in localStorage, messages over POST, the
   dialog live over server-sent events resumed from the last event id after any drop.
   Text is only ever set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var channel = root.getAttribute("data-channel");
  var botName = root.getAttribute("data-bot-name") || "";
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var statusDot = document.getElementById("status");
  var typingLine = document.getElementById("typing");
  var notice = document.getElementById("notice");
  var KEY_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
  var TYPING_MS = 60000;
  var REOPEN_MS = 2000;
  var REOPEN_MAX_MS = 30000;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function newVisitorKey() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function visitorKey() {
    var name = "botdesk.visitor." + channel;
    var store = storage();
    var key = store ? store.getItem(name) : null;
    if (!key || !KEY_PATTERN.test(key)) {
      key = newVisitorKey();
      try { if (store) store.setItem(name, key); } catch (e) { /* private mode: this tab only */ }
    }
    return key;
  }

  function started() {
    var store = storage();
    try { return !!(store && store.getItem("botdesk.started." + channel)); } catch (e) { return false; }
  }

  function markStarted() {
    var store = storage();
    try { if (store) store.setItem("botdesk.started." + channel, "1"); } catch (e) { /* ignore */ }
  }

  var state = {
    visitor: visitorKey(), cursor: "", seen: {}, duplicates: 0, received: [],
    pending: [], source: null, typingTimer: null, reopenMs: REOPEN_MS
  };
  window.botdeskChat = state; // read by tests and handy when debugging

  function setStatus(value) { statusDot.setAttribute("data-state", value); }

  function showNotice(text) {
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  function setTyping(on) {
    typingLine.hidden = !on;
    clearTimeout(state.typingTimer);
    if (on) state.typingTimer = setTimeout(function () { typingLine.hidden = true; }, TYPING_MS);
  }

  function bubble(type, text) {
    var item = document.createElement("li");
    item.className = "msg msg-" + type;
    if (type === "operator") {
      var author = document.createElement("span");
      author.className = "msg-author";
      author.textContent = "Operator";
      item.appendChild(author);
    }
    var body = document.createElement("span");
    body.className = "msg-text";
    body.textContent = text;
    item.appendChild(body);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  function adoptPending(message) {
    for (var i = 0; i < state.pending.length; i++) {
      if (state.pending[i].text === message.text) {
        var item = state.pending[i].item;
        state.pending.splice(i, 1);
        item.classList.remove("msg-pending");
        return item;
      }
    }
    return null;
  }

  function render(message) {
    if (state.seen[message.id]) { state.duplicates += 1; return; }
    state.seen[message.id] = true;
    state.received.push(message.id);
    var item = (message.type === "user" && adoptPending(message)) || bubble(message.type, message.text);
    item.setAttribute("data-id", message.id);
    item.title = new Date(message.created).toLocaleString();
    if (message.type !== "user") setTyping(false);
    list.scrollTop = list.scrollHeight;
  }

  function connect() {
    if (state.source) state.source.close();
    var url = "widget/stream?channel=" + encodeURIComponent(channel) +
      "&visitor=" + encodeURIComponent(state.visitor) +
      (state.cursor ? "&after=" + encodeURIComponent(state.cursor) : "");
    var source = new EventSource(url);
    state.source = source;
    source.addEventListener("ready", function () {
      state.reopenMs = REOPEN_MS;
      setStatus("online");
      showNotice("");
    });
    source.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      state.cursor = event.lastEventId || message.cursor;
      render(message);
    });
    source.onerror = function () {
      setStatus("offline");
      // The browser retries by itself with Last-Event-ID; once it has given up, start again.
      if (source.readyState === EventSource.CLOSED && state.source === source) {
        setTimeout(connect, state.reopenMs);
        state.reopenMs = Math.min(state.reopenMs * 2, REOPEN_MAX_MS);
      }
    };
  }

  function fail(item, text) {
    item.classList.add("msg-failed");
    state.pending = state.pending.filter(function (p) { return p.item !== item; });
    setTyping(false);
    showNotice(text);
  }

  function send(text) {
    var item = bubble("user", text);
    item.classList.add("msg-pending");
    state.pending.push({ text: text, item: item });
    setTyping(true);
    fetch("widget/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel: channel, visitor: state.visitor, text: text })
    }).then(function (response) {
      if (response.ok) {
        showNotice("");
        markStarted();
        if (!state.source) connect();
        return;
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        fail(item, (body && body.message) || "Message not sent (" + response.status + ")");
      });
    }).catch(function () { fail(item, "No connection: message not sent"); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });

  var closeButton = document.getElementById("close");
  if (window.parent === window) {
    closeButton.hidden = true;
  } else {
    closeButton.addEventListener("click", function () {
      window.parent.postMessage({ botdesk: "close" }, "*");
    });
  }
  if (botName) document.title = botName;
  // A visitor who never wrote has no dialog to follow: connect after their first message.
  if (started()) connect(); else setStatus("idle");
})();

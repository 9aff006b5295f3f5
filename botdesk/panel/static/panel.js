// botdesk panel: live dialog (server-sent events), copy buttons, auto-submitting selects.
"use strict";

function followDialog(log) {
  const source = new EventSource(log.dataset.stream);
  const atBottom = () => window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  source.addEventListener("message", (event) => {
    const id = (event.lastEventId || "").split(":")[1];
    if (id && document.getElementById("m-" + id)) return; // already shown
    const stick = atBottom();
    log.insertAdjacentHTML("beforeend", event.data); // server-rendered, HTML-escaped
    if (stick) window.scrollTo(0, document.body.scrollHeight);
  });
  source.addEventListener("state", (event) => {
    const state = document.getElementById("thread-state");
    if (state) state.innerHTML = event.data; // server-rendered, HTML-escaped
  });
  log.dataset.live = "connecting";
  source.addEventListener("open", () => { log.dataset.live = "open"; });
  source.addEventListener("error", () => { log.dataset.live = "reconnecting"; });
}

document.addEventListener("DOMContentLoaded", () => {
  const log = document.getElementById("messages");
  if (log && log.dataset.stream) {
    followDialog(log);
    window.scrollTo(0, document.body.scrollHeight);
  }
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.requestSubmit());
  });
  document.querySelectorAll("[data-copy]").forEach((btn) => {
    btn.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(btn.dataset.copy);
        btn.textContent = "Copied";
      } catch (_) {
        btn.textContent = "Select and copy";
      }
    });
  });
  document.querySelectorAll("input[type=range][data-output]").forEach((range) => {
    const out = document.getElementById(range.dataset.output);
    const show = () => { out.textContent = range.value; };
    range.addEventListener("input", show);
    show();
  });
  document.querySelectorAll("[data-add-row]").forEach((btn) => {
    btn.addEventListener("click", () => {
      const list = document.getElementById(btn.dataset.addRow);
      const template = list.querySelector("template");
      list.insertBefore(template.content.cloneNode(true), template);
    });
  });
  document.addEventListener("click", (event) => {
    const remove = event.target.closest("[data-remove-row]");
    if (remove) remove.closest(".row-item").remove();
  });
});

// After an htmx form posts (operator reply), clear it; the message arrives over the stream.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (form.matches && form.matches("form[data-reset-after]") && event.detail.successful) {
    form.reset();
  }
});

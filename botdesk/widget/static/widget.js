/* botdesk web chat loader. Paste on any page:
     <script src="https://botdesk.example/widget.js" data-channel="CHANNEL_ID" async></script>
   It adds a floating button that opens the chat in an iframe. Options (data-*):
   data-open="true" opens it at once; data-label sets the button's text. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__botdeskWidget) return;
  var channel = script.getAttribute("data-channel");
  if (!channel) { console.warn("botdesk widget: data-channel is missing"); return; }
  var base = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var color = "#2454d6";
  var frame = null;
  window.__botdeskWidget = true;

  function style(el, css) { for (var k in css) el.style[k] = css[k]; }

  function chatIcon() {
    // A speech bubble drawn with SVG: emoji fonts are missing on many systems.
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  var button = document.createElement("button");
  button.type = "button";
  button.id = "botdesk-launcher";
  button.setAttribute("aria-label", "Open chat");
  var label = script.getAttribute("data-label");
  if (label) button.textContent = label; else button.appendChild(chatIcon());
  style(button, {
    position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px",
    borderRadius: "50%", border: "0", background: color, color: "#fff", fontSize: "24px",
    cursor: "pointer", display: "flex", alignItems: "center", justifyContent: "center",
    padding: "0", boxShadow: "0 4px 14px rgba(0,0,0,.25)", zIndex: "2147483646"
  });

  function layout() {
    if (!frame) return;
    var small = window.innerWidth < 520;
    style(frame, small
      ? { right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { right: "20px", bottom: "88px", width: "370px", height: "min(600px, calc(100vh - 110px))",
          borderRadius: "14px" });
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "botdesk-frame";
      frame.title = "Chat";
      frame.src = base + "/frame?channel=" + encodeURIComponent(channel);
      frame.setAttribute("allow", "clipboard-write");
      style(frame, {
        position: "fixed", border: "0", background: "#fff", zIndex: "2147483647",
        boxShadow: "0 8px 30px rgba(0,0,0,.25)"
      });
      document.body.appendChild(frame);
      layout();
    }
    frame.style.display = "block";
    button.setAttribute("aria-expanded", "true");
  }

  function close() {
    if (frame) frame.style.display = "none";
    button.setAttribute("aria-expanded", "false");
  }

  button.addEventListener("click", function () {
    if (frame && frame.style.display !== "none") close(); else open();
  });
  window.addEventListener("resize", layout);
  window.addEventListener("message", function (event) {
    if (frame && event.source === frame.contentWindow && event.data && event.data.botdesk === "close") {
      close();
    }
  });

  function mount() {
    document.body.appendChild(button);
    if (script.getAttribute("data-open") === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();

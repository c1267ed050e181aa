/* Advisor Console web chat: the embed snippet's script. On any page:
     <script src="https://ADVISOR-CONSOLE-SERVER/chat/embed.js" async></script>
   adds the chat (an iframe of /chat) in the bottom-right corner and defines
     window.AdvisorChat.viewed(sku)   -- tell the advisors which product she is looking at
     window.AdvisorChat.open()        -- open the chat
   Calls made before the script has loaded can be queued in window.AdvisorChatQueue
   (an array of ["viewed", sku]). */
(function () {
  "use strict";
  if (window.AdvisorChat && window.AdvisorChat.frame) return;
  var script = document.currentScript;
  var base = script ? new URL(script.src, location.href).origin : location.origin;
  var frame = document.createElement("iframe");
  frame.id = "advisor-chat-frame";
  frame.title = "Chat with an advisor";
  frame.src = base + "/chat";
  frame.style.cssText = "position:fixed;right:16px;bottom:16px;width:360px;height:520px;max-height:80vh;border:1px solid #ccc;border-radius:10px;box-shadow:0 4px 24px rgba(0,0,0,.15);background:#fff;z-index:2147483000";
  var loaded = false, queue = [];
  function post(message) {
    if (!loaded) { queue.push(message); return; }
    frame.contentWindow.postMessage(message, base);
  }
  frame.addEventListener("load", function () {
    loaded = true;
    queue.splice(0).forEach(post);
  });
  window.addEventListener("message", function (e) {
    if (e.source === frame.contentWindow && e.data && e.data.type === "advisor-chat:open") frame.style.display = "block";
  });
  window.AdvisorChat = {
    frame: frame,
    viewed: function (sku) { post({ type: "advisor-chat:viewed", sku: String(sku), page: location.href }); },
    open: function () { frame.style.display = "block"; },
  };
  (window.AdvisorChatQueue || []).forEach(function (call) {
    if (call && call[0] === "viewed") window.AdvisorChat.viewed(call[1]);
  });
  function attach() { document.body.appendChild(frame); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();

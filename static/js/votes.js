/* A vote's page: its turnout (and results, where allowed) follow the ballots live
 * over the tab's socket (live.js, topic "vote"). An event only says that something
 * moved; the page asks the server again (htmx, the "vote-changed" trigger of
 * #vote-live), at most once every five seconds. Without a socket the block polls
 * every 30 seconds (the markup says so). No inline code (CSP). */
(function () {
  "use strict";

  var last = 0;
  var pending = null;

  function refresh() {
    var now = Date.now();
    if (pending) {
      return;
    }
    var wait = Math.max(0, 5000 - (now - last));
    pending = window.setTimeout(function () {
      pending = null;
      last = Date.now();
      document.body.dispatchEvent(new CustomEvent("vote-changed"));
    }, wait);
  }

  function start() {
    var box = document.getElementById("vote-live");
    if (!box || !window.maillageLive) {
      return;
    }
    window.maillageLive.watch("vote", Number(box.dataset.vote), function (event) {
      if (event.type === "error") {
        return;
      }
      if (event.status && event.status !== box.dataset.status && event.type === "topic.event") {
        window.location.reload(); // opened or closed: the whole page changes
        return;
      }
      refresh();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

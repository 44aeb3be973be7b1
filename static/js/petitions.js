/* A petition's public page: the count follows confirmations live over the tab's
 * socket when there is one (signed-in members, live.js); otherwise htmx polls the
 * count every 20 seconds (the markup says so). No inline code (CSP). */
(function () {
  "use strict";

  function update(event) {
    var box = document.getElementById("petition-count");
    if (!box || typeof event.count !== "number") {
      return;
    }
    var number = box.querySelector(".petition-number");
    var bar = box.querySelector("progress");
    if (number) {
      number.textContent = event.count.toLocaleString(document.documentElement.lang || undefined);
    }
    if (bar) {
      bar.value = event.count;
    }
  }

  function start() {
    var box = document.getElementById("petition-count");
    if (!box || !window.maillageLive) {
      return;
    }
    window.maillageLive.watch("petition", Number(box.dataset.petition), function (event) {
      if (event.type === "resync" && window.htmx) {
        window.htmx.ajax("GET", box.getAttribute("hx-get"), { target: box, swap: "outerHTML" });
        return;
      }
      update(event);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

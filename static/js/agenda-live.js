/* Agenda pages kept current over the tab's one socket (organising/agenda/live.py).
 *
 * An event's page watches the "event" topic and reloads its live part when the
 * event, its occurrences or its answers change. An agenda page watches the "agenda"
 * topic of each unit it shows: a changed event's cards are fetched again through
 * their own access-checked URL (data-card); an event the page does not show yet
 * makes a notice appear (reload to see it). Without the socket or JavaScript the
 * pages work as they are. No inline code (CSP).
 */
(function () {
  "use strict";

  var pending = {};

  function later(key, run) {
    // Coalesce bursts (many answers at once) and spread the reloads of many tabs.
    if (pending[key]) {
      return;
    }
    pending[key] = setTimeout(function () {
      delete pending[key];
      run();
    }, 300 + Math.random() * 1200);
  }

  function reloadCard(card) {
    window.htmx.ajax("GET", card.dataset.card, {target: card, swap: "outerHTML"});
  }

  function onAgenda(event) {
    if (event.type === "resync") {  // away for a while: many cards may be stale
      showNotice();
      return;
    }
    if (event.type !== "topic.event" || !event.event) {
      return;
    }
    var cards = document.querySelectorAll('[data-event="' + CSS.escape(event.event) + '"]');
    if (cards.length) {
      cards.forEach(function (card) {
        later(card.id, function () { reloadCard(card); });
      });
    } else if (event.what === "event") {
      showNotice();
    }
  }

  function showNotice() {
    var notice = document.getElementById("agenda-changed");
    if (notice) {
      notice.hidden = false;
    }
  }

  function onEvent(event) {
    if (event.type !== "topic.event" && event.type !== "resync") {
      return;
    }
    later("event-live", function () {
      window.htmx.ajax("GET", window.location.href, {
        target: "#event-live", select: "#event-live", swap: "outerHTML"
      });
    });
  }

  function start() {
    var live = window.maillageLive;
    if (!live || !window.htmx) {
      return;
    }
    var page = document.getElementById("event-live");
    if (page && page.dataset.liveEvent) {
      live.watch("event", Number(page.dataset.liveEvent), onEvent);
    }
    var agenda = document.querySelector("[data-live-units]");
    if (agenda) {
      agenda.dataset.liveUnits.split(",").filter(Boolean).slice(0, 12).forEach(function (id) {
        live.watch("agenda", Number(id), onAgenda);
      });
      return;
    }
    // Elsewhere: a new, changed or cancelled event of my units lights the badge on
    // "Agenda" in the navigation (answers do not).
    var link = document.querySelector("[data-agenda-units]");
    if (link && !page) {
      link.dataset.agendaUnits.split(",").filter(Boolean).slice(0, 8).forEach(function (id) {
        live.watch("agenda", Number(id), onBadge);
      });
    }
  }

  function onBadge(event) {
    if (event.type === "topic.event" && event.what === "event") {
      var badge = document.querySelector("[data-agenda-badge]");
      if (badge) {
        badge.hidden = false;
      }
    }
  }

  if (window.agendaLiveStarted) {
    return;  // included by the navigation and by the agenda's own pages
  }
  window.agendaLiveStarted = true;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* Live delivery for Maillage pages: one WebSocket per tab at /ws/.
 *
 * Pages work without it (a reload shows everything); this file only adds: new posts,
 * replies and private messages appearing without a reload, typing indicators, unread
 * badges. After a lost connection it reconnects (with growing pauses) and asks the
 * server for what it missed since the last item it saw. No inline code (CSP).
 */
(function () {
  "use strict";

  var socket = null;
  var userId = null;
  var retries = 0;
  var stopped = false;
  var lastTyping = 0;
  var typingTimer = null;
  // Topics the page watches (organising/topics.py): "topic:id" -> handler(event).
  var watches = {};

  function streamElement() {
    return document.getElementById("live-stream");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function activate(element) {
    if (window.htmx && element) {
      window.htmx.process(element);
    }
    return element;
  }

  function bumpSince(id) {
    var stream = streamElement();
    if (stream && id > Number(stream.dataset.since || 0)) {
      stream.dataset.since = String(id);
    }
  }

  function dropPlaceholder(list) {
    var empty = list.querySelector(".empty");
    if (empty) {
      empty.remove();
    }
  }

  function showPost(event, prepend) {
    if (!event.html || document.getElementById("post-" + event.id)) {
      bumpSince(event.id);
      return;
    }
    var list = document.querySelector("[data-stream-list]");
    if (!list) {
      return;
    }
    var element = fragment(event.html);
    if (!element) {
      return;
    }
    dropPlaceholder(list);
    element.classList.add("is-new");
    if (prepend) {
      list.insertBefore(element, list.firstElementChild);
    } else {
      list.appendChild(element);
    }
    activate(element);
    bumpSince(event.id);
  }

  function updatePost(event) {
    var current = document.getElementById("post-" + event.id);
    if (current && event.html) {
      var element = fragment(event.html);
      current.replaceWith(element);
      activate(element);
    }
  }

  function removePost(event) {
    var current = document.getElementById("post-" + event.id);
    if (current) {
      current.remove();
    }
  }

  function setCount(name, value) {
    document.querySelectorAll('[data-live-count="' + name + '"]').forEach(function (badge) {
      var hidden = badge.querySelector(".visually-hidden");
      badge.textContent = String(value);
      if (hidden) {
        badge.prepend(hidden);
      }
      badge.hidden = !value;
    });
  }

  function showMessage(event) {
    var stream = streamElement();
    var here = stream && stream.dataset.stream === "conversation" &&
      Number(stream.dataset.streamId) === event.conversation;
    if (!here) {
      var badge = document.querySelector('[data-unread="' + event.conversation + '"]');
      if (badge && event.author_id !== userId) {
        badge.textContent = String(Number(badge.textContent || 0) + 1);
        badge.hidden = false;
      }
      return;
    }
    if (!event.html || document.getElementById("message-" + event.id)) {
      bumpSince(event.id);
      return;
    }
    var list = document.getElementById("messages");
    var element = fragment(event.html);
    if (!list || !element) {
      return;
    }
    dropPlaceholder(list);
    if (event.author_id === userId) {
      element.classList.add("own");
    }
    list.appendChild(element);
    bumpSince(event.id);
    hideTyping();
    element.scrollIntoView({block: "nearest"});
    if (event.author_id !== userId && document.visibilityState === "visible") {
      markRead(event.conversation);
    }
  }

  function markRead(conversationId) {
    fetch("/messages/" + conversationId + "/read/", {
      method: "POST",
      headers: {"X-CSRFToken": csrfToken()},
      credentials: "same-origin"
    }).catch(function () {});
  }

  function hideTyping() {
    var typing = document.getElementById("typing");
    if (typing) {
      typing.hidden = true;
      typing.textContent = "";
    }
  }

  function showTyping(event) {
    var typing = document.getElementById("typing");
    if (!typing) {
      return;
    }
    typing.textContent = (typing.dataset.label || "%s…").replace("%s", event.name);
    typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 4000);
  }

  function subscribe() {
    var stream = streamElement();
    if (!stream || !socket || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    var ref = stream.dataset.streamId ? Number(stream.dataset.streamId) : null;
    socket.send(JSON.stringify({
      type: "subscribe",
      stream: stream.dataset.stream,
      id: ref,
      since: Number(stream.dataset.since || 0),
      // What the tab shows, so that posts removed while it was away go too.
      shown: Array.prototype.slice.call(document.querySelectorAll("[data-post-id]"), 0, 100)
        .map(function (element) { return Number(element.dataset.postId); })
    }));
  }

  function isOpen() {
    return socket && socket.readyState === WebSocket.OPEN;
  }

  function watchAll() {
    Object.keys(watches).forEach(function (key) {
      var parts = key.split(":");
      socket.send(JSON.stringify({type: "watch", topic: parts[0], id: Number(parts[1])}));
    });
  }

  // A page's script watches an object: handler receives each {"type": "topic.event",
  // ...}, {"type": "resync"} (ask the server again: rights changed, or the socket
  // was away) and {"type": "error", "error": "not found"} (no longer allowed).
  window.maillageLive = {
    watch: function (topic, id, handler) {
      watches[topic + ":" + id] = handler;
      if (isOpen()) {
        socket.send(JSON.stringify({type: "watch", topic: topic, id: id}));
      }
    },
    unwatch: function (topic, id) {
      delete watches[topic + ":" + id];
      if (isOpen()) {
        socket.send(JSON.stringify({type: "unwatch", topic: topic, id: id}));
      }
    },
    // Sends a message to a watched topic; false when the socket is not open.
    send: function (topic, id, message) {
      if (!isOpen()) {
        return false;
      }
      var payload = Object.assign({}, message, {type: "topic.send", topic: topic, id: id});
      socket.send(JSON.stringify(payload));
      return true;
    }
  };

  function toWatchers(event) {
    if (event.topic !== undefined) {
      var handler = watches[event.topic + ":" + event.id];
      if (handler) {
        handler(event);
      }
      return;
    }
    Object.keys(watches).forEach(function (key) {
      watches[key](event);
    });
  }

  function onMessage(message) {
    var event;
    try {
      event = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    var stream = streamElement();
    var kind = stream ? stream.dataset.stream : "";
    switch (event.type) {
      case "hello":
        userId = event.user_id;
        subscribe();
        watchAll();
        toWatchers({type: "resync"});
        break;
      case "topic.event":
        toWatchers(event);
        break;
      case "error":
        if (event.topic !== undefined) {
          toWatchers(event);
        }
        break;
      case "counts":
        setCount("notifications", event.notifications);
        setCount("messages", event.messages);
        break;
      case "post.new":
        showPost(event, kind !== "thread");
        break;
      case "post.update":
        updatePost(event);
        break;
      case "post.remove":
        removePost(event);
        break;
      case "message.new":
        showMessage(event);
        break;
      case "typing":
        showTyping(event);
        break;
      case "resync":
        // The member's rights changed, or live delivery was down for a while: ask
        // again for what was missed (and which shown posts are gone).
        subscribe();
        watchAll();
        toWatchers({type: "resync"});
        break;
      case "caught_up":
        if (event.stale) {
          var banner = document.getElementById("new-posts");
          if (banner) {
            banner.hidden = false;
          }
        }
        break;
      default:
        break;
    }
    document.documentElement.dataset.live = "on";
  }

  function connect() {
    if (stopped || !("WebSocket" in window)) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/");
    socket.addEventListener("open", function () {
      retries = 0;
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      document.documentElement.dataset.live = "off";
      if (event.code === 4401 || event.code === 4403) {
        stopped = true; // signed out or no access: a reload will show the login page
        return;
      }
      var delay = Math.min(30000, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  function onTyping(event) {
    var stream = streamElement();
    if (!stream || stream.dataset.stream !== "conversation" || !socket ||
        socket.readyState !== WebSocket.OPEN || event.target.name !== "body") {
      return;
    }
    var now = Date.now();
    if (now - lastTyping > 2500) {
      lastTyping = now;
      socket.send(JSON.stringify({type: "typing", conversation: Number(stream.dataset.streamId)}));
    }
  }

  function newClientKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return String(Date.now()) + String(Math.random()).slice(2);
  }

  function onSubmit(event) {
    var key = event.target.querySelector("input[name=client_key]");
    if (key && !key.value) {
      key.value = newClientKey();
    }
  }

  // After an htmx post: show what was just written at once (the socket may repeat it).
  function afterSwap() {
    var newPost = document.getElementById("composer-new-post");
    if (newPost) {
      var list = document.querySelector("[data-stream-list]");
      var element = newPost.content.firstElementChild;
      if (list && element && !document.getElementById(element.id)) {
        dropPlaceholder(list);
        list.insertBefore(element, list.firstElementChild);
        activate(element);
      }
      newPost.remove();
    }
    var sent = document.getElementById("sent-message");
    if (sent) {
      var messages = document.getElementById("messages");
      var message = sent.content.firstElementChild;
      if (messages && message && !document.getElementById(message.id)) {
        dropPlaceholder(messages);
        message.classList.add("own");
        messages.appendChild(message);
      }
      sent.remove();
      var box = document.querySelector("#message-form textarea");
      if (box) {
        box.focus();
      }
    }
  }

  function afterRequest(event) {
    var form = event.detail && event.detail.elt;
    if (form && form.id === "reply" && event.detail.successful) {
      form.reset();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var typing = document.getElementById("typing");
    if (typing && !typing.dataset.label) {
      typing.dataset.label = "%s…";
    }
    document.addEventListener("input", onTyping);
    document.addEventListener("submit", onSubmit, true);
    document.body.addEventListener("htmx:afterSwap", afterSwap);
    document.body.addEventListener("htmx:afterRequest", afterRequest);
    document.addEventListener("visibilitychange", function () {
      var stream = streamElement();
      if (document.visibilityState === "visible" && stream &&
          stream.dataset.stream === "conversation") {
        markRead(Number(stream.dataset.streamId));
      }
    });
    connect();
  });
})();

// Live co-editing of a document's text (organising/documents/live.py): the editor's
// textarea is bound to a Yjs text shared over the site's one socket
// (window.maillageLive, static/js/live.js). Without JavaScript, or without the
// socket, the textarea and its Save button work as a plain form.
import * as Y from "yjs";

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function start() {
  const area = document.querySelector("textarea[data-live-document]");
  const live = window.maillageLive;
  if (!area || !live) return;
  const id = Number(area.dataset.liveDocument);
  const me = Number(area.dataset.liveUser);
  const status = document.getElementById("live-status");
  const presence = document.getElementById("live-presence");
  const others = new Map(); // user id -> {name, seen}
  let doc = null;
  let text = null;
  let shown = area.value;
  let synced = false;

  function say(message) {
    if (status) status.textContent = message;
  }

  function showPresence() {
    if (!presence) return;
    const now = Date.now();
    const names = [];
    others.forEach((who, userId) => {
      if (now - who.seen > 40000) others.delete(userId);
      else names.push(who.name);
    });
    presence.textContent = names.length
      ? area.dataset.liveOthers + " " + names.join(", ")
      : "";
  }

  function render() {
    const value = text.toString();
    if (value === area.value) {
      shown = value;
      return;
    }
    // Keep the caret where it was, relative to the text around it.
    const start = area.selectionStart;
    const end = area.selectionEnd;
    const before = area.value;
    let prefix = 0;
    while (prefix < start && before[prefix] === value[prefix]) prefix++;
    const shift = value.length - before.length;
    area.value = value;
    shown = value;
    const at = (p) => (p <= prefix ? p : Math.max(prefix, p + shift));
    area.setSelectionRange(at(start), at(end));
  }

  function reset() {
    doc = new Y.Doc();
    text = doc.getText("body");
    doc.on("update", (update, origin) => {
      if (origin !== "remote") {
        live.send("document", id, { kind: "update", update: toBase64(update) });
      }
    });
    text.observe((event) => {
      if (event.transaction.origin === "remote") render();
    });
  }

  area.addEventListener("input", () => {
    if (!synced) return;
    const before = shown;
    const after = area.value;
    let prefix = 0;
    while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
    let suffix = 0;
    while (
      suffix < before.length - prefix &&
      suffix < after.length - prefix &&
      before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
    ) suffix++;
    doc.transact(() => {
      const removed = before.length - prefix - suffix;
      if (removed > 0) text.delete(prefix, removed);
      const added = after.slice(prefix, after.length - suffix);
      if (added) text.insert(prefix, added);
    }, "local");
    shown = after;
  });

  live.watch("document", id, (event) => {
    if (event.type === "resync") {
      synced = false;
      live.send("document", id, { kind: "sync" });
      return;
    }
    if (event.type === "error") {
      synced = false;
      say(area.dataset.liveOff);
      return;
    }
    if (event.kind === "state") {
      reset();
      Y.applyUpdate(doc, fromBase64(event.update), "remote");
      // What was typed before the socket came: kept, as a local change.
      const typed = area.value;
      render();
      if (typed !== shown && event.editing) {
        area.value = typed;
        area.dispatchEvent(new Event("input"));
      }
      synced = event.editing;
      area.readOnly = !event.editing;
      const base = document.querySelector("input[name=base_revision]");
      if (base) base.value = event.base_revision;
      say(event.editing ? area.dataset.liveOn : area.dataset.liveReadonly);
    } else if (event.kind === "update" && doc) {
      if (event.by !== me || event.by === null) {
        Y.applyUpdate(doc, fromBase64(event.update), "remote");
      }
    } else if (event.kind === "presence" && event.user_id !== me) {
      others.set(event.user_id, { name: event.name, seen: Date.now() });
      showPresence();
    } else if (event.kind === "error" && event.error !== "not found") {
      say(area.dataset.liveOff);
      synced = false;
      live.send("document", id, { kind: "sync" });
    }
  });
  setInterval(() => {
    if (synced) live.send("document", id, { kind: "presence" });
    showPresence();
  }, 15000);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();

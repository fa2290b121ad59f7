/* Shared helpers of the review UI: API calls (session + CSRF), safe DOM building, toasts,
 * confirmation, times in the agent's time zone, and the "needs a human" badge.
 *
 * Safety rule: data from the API (renter text above all) only ever reaches the page through
 * textContent or attribute values set with setAttribute; never through innerHTML.
 */
(function () {
  "use strict";
  const LB = (window.LB = {});

  LB.csrf = function () {
    const hit = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return hit ? decodeURIComponent(hit.slice("csrftoken=".length)) : "";
  };

  LB.errorText = function (data, status) {
    if (!data || typeof data !== "object") return "Request failed (" + status + ")";
    const parts = [];
    if (data.detail) parts.push(String(data.detail));
    if (Array.isArray(data.reasons)) parts.push(data.reasons.join("; "));
    for (const [key, value] of Object.entries(data)) {
      if (["detail", "code", "reasons", "field", "status", "errors"].includes(key)) continue;
      parts.push(key + ": " + (Array.isArray(value) ? value.join(" ") : String(value)));
    }
    return parts.join(" — ") || "Request failed (" + status + ")";
  };

  LB.api = async function (path, options) {
    const opts = options || {};
    const method = opts.method || "GET";
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET") headers["X-CSRFToken"] = LB.csrf();
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let res;
    try {
      res = await fetch("/api/v1/" + path, init);
    } catch (e) {
      const err = new Error("Network error: the server did not answer. Check your connection, reload, and try again.");
      err.status = 0;
      throw err;
    }
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const err = new Error(LB.errorText(data, res.status));
      err.status = res.status;
      err.data = data;
      throw err;
    }
    return { status: res.status, data: data };
  };

  /* Build an element: attrs may hold class, text, dataset, and plain attributes (never on*). */
  LB.el = function (tag, attrs) {
    const node = document.createElement(tag);
    const a = attrs || {};
    for (const [key, value] of Object.entries(a)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) throw new Error("event handlers are attached with addEventListener");
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (let i = 2; i < arguments.length; i++) {
      const child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  LB.clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); return node; };

  /* A toast: errors are announced (role=alert) and stay longer; an optional action adds a button
     (Undo). Returns the node, so a caller can remove it early. */
  LB.toast = function (message, kind, action) {
    const box = document.getElementById("toasts");
    const error = kind === "error";
    const t = LB.el("div", { class: "toast " + (kind || "ok"), role: error ? "alert" : "status" }, LB.el("span", { text: message }));
    if (action) {
      const b = LB.el("button", { type: "button", class: "btn", text: action.label });
      b.addEventListener("click", () => { t.remove(); action.run(); });
      t.append(b);
    }
    box.append(t);
    setTimeout(() => t.remove(), action ? action.ms || 8000 : error ? 10000 : 5000);
    return t;
  };

  /* Whose item this is, for every toast: the renter's name, else the conversation's number. */
  LB.renter = function (name, conversationId) {
    if (name) return name;
    return conversationId ? "conversation " + conversationId : "an item without a conversation";
  };

  /* Loading, empty and error states in one place. */
  LB.state = function (node, kind, message, retry) {
    LB.clear(node);
    node.className = "state " + (kind || "");
    if (!kind) return;
    node.append(LB.el("span", { text: message }));
    if (retry) {
      const b = LB.el("button", { type: "button", class: "btn", text: "Try again" });
      b.addEventListener("click", retry);
      node.append(" ", b);
    }
  };

  LB.confirm = function (title, text, withReason) {
    return new Promise((resolve) => {
      const modal = document.getElementById("modal");
      document.getElementById("modal-title").textContent = title;
      document.getElementById("modal-text").textContent = text;
      const reason = document.getElementById("modal-reason");
      reason.value = "";
      reason.parentElement.hidden = !withReason;
      modal.hidden = false;
      const ok = document.getElementById("modal-ok");
      const cancel = document.getElementById("modal-cancel");
      const done = (answer) => {
        modal.hidden = true;
        ok.removeEventListener("click", yes);
        cancel.removeEventListener("click", no);
        resolve(answer);
      };
      const yes = () => done({ ok: true, reason: reason.value.trim() });
      const no = () => done({ ok: false, reason: "" });
      ok.addEventListener("click", yes);
      cancel.addEventListener("click", no);
      ok.focus();
    });
  };

  /* Times. One rule, everywhere: a time is shown with its zone's name ("Jan 3, 10:00 AM EST").
     Times of the agent's own work (messages, replies, notes, history, waiting) are in the
     agent's zone: the profile's time zone when set, else the browser's. Times that the renter
     lives by (showings, offered slots) are in the account's zone (PlatformAccount.time_zone),
     with the agent's time beside them when the two zones differ. */
  LB.tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  function stamp(d, zone) {
    return new Intl.DateTimeFormat(undefined, {
      timeZone: zone, month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
    }).format(d);
  }
  LB.fmt = function (iso, zone) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    try {
      return stamp(d, zone || LB.tz);
    } catch (e) {
      return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
    }
  };
  /* A renter-side time: in the account's zone, and in the agent's too when they differ. */
  LB.fmtRenter = function (iso, accountZone) {
    const there = LB.fmt(iso, accountZone || LB.tz);
    if (!iso || !accountZone || accountZone === LB.tz) return there;
    return there + " (" + LB.fmt(iso) + " for you)";
  };
  LB.duration = function (seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  };
  LB.since = function (iso) {
    return iso ? LB.duration((Date.now() - new Date(iso).getTime()) / 1000) : "—";
  };

  LB.ready = (async function () {
    try {
      const me = (await LB.api("me/")).data;
      LB.me = me;
      if (me.timezone) LB.tz = me.timezone;
    } catch (e) {
      LB.me = null;
    }
    const tzNode = document.getElementById("who-tz");
    if (tzNode) tzNode.textContent = LB.tz;
  })();

  async function refreshBadge() {
    const badge = document.getElementById("needs-badge");
    if (!badge) return;
    try {
      const counts = (await LB.api("review/counts/")).data;
      badge.textContent = String(counts.needs_human);
      badge.hidden = counts.needs_human === 0;
      badge.title = counts.needs_human + " need a human, " + counts.mine + " of them yours";
      document.title = document.title.replace(/^\(\d+\) /, "");
      if (counts.needs_human) document.title = "(" + counts.needs_human + ") " + document.title;
      LB.counts = counts;
      document.dispatchEvent(new CustomEvent("lb:counts", { detail: counts }));
    } catch (e) {
      badge.hidden = true;
    }
  }
  LB.refreshBadge = refreshBadge;
  if (document.getElementById("needs-badge")) {
    refreshBadge();
    setInterval(refreshBadge, 20000);
  }

  /* Keyboard shortcuts never fire while typing in a field. */
  LB.onKey = function (handler) {
    document.addEventListener("keydown", (ev) => {
      const t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
      if (!document.getElementById("modal").hidden) return;
      handler(ev);
    });
  };

  /* Page boilerplate the list pages share: filter selects filled from the API and kept in the
     address, and a start once the caller's profile (time zone) is known. */
  LB.urlParams = function () { return new URLSearchParams(location.search); };
  LB.keepInUrl = function (params) {
    const q = params.toString();
    history.replaceState(null, "", q ? "?" + q : location.pathname);
  };
  /* selects: {platform, account, unit, reason} (each optional), each a <select> whose first
     option is "All". Fills them, sets them from the address, calls onChange on a change. */
  LB.filters = async function (selects, onChange) {
    const url = LB.urlParams();
    const jobs = [];
    if (selects.platform || selects.account) {
      jobs.push(LB.api("platform-accounts/").then((res) => {
        const accounts = res.data;
        if (selects.platform) {
          for (const p of [...new Set(accounts.map((a) => a.platform))].sort()) selects.platform.append(LB.el("option", { value: p, text: p }));
        }
        if (selects.account) {
          for (const a of accounts) selects.account.append(LB.el("option", { value: a.id, text: a.platform + " / " + a.label }));
        }
      }));
    }
    if (selects.unit) {
      jobs.push(LB.api("units/").then((res) => {
        selects.unit.append(LB.el("option", { value: "none", text: "No unit linked" }));
        for (const u of res.data) selects.unit.append(LB.el("option", { value: u.id, text: u.listing_title + " / " + u.name }));
      }));
    }
    try {
      await Promise.all(jobs);
    } catch (e) {
      LB.toast("Could not load the filters: " + e.message, "error");
    }
    for (const [name, sel] of Object.entries(selects)) {
      if (!sel) continue;
      sel.value = url.get(name) || "";
      if (sel.value !== (url.get(name) || "")) sel.value = "";
      sel.addEventListener("change", onChange);
    }
  };
  LB.filterValues = function (selects, into) {
    const q = into || new URLSearchParams();
    for (const [name, sel] of Object.entries(selects)) if (sel && sel.value) q.set(name, sel.value);
    return q;
  };
  LB.start = function (fn) { return LB.ready.then(fn); };

  /* Undo: a write held in the browser for a few seconds with an Undo toast, then sent. The
     request names exactly the item chosen, so nothing that happens meanwhile can redirect it.
     Leaving the page ends the window and sends what is pending at once (keepalive). */
  LB.undoSeconds = Number(document.body.dataset.undoSeconds || 5);
  const held = new Map();
  LB.later = function (key, opts) {
    /* opts: {text, path, body, run (async, sends), undone (text), ms} */
    if (held.has(key)) return false;
    const ms = opts.ms || LB.undoSeconds * 1000;
    const toast = LB.toast(opts.text, "ok", { label: "Undo", run: () => LB.undo(key), ms: ms + 1000 });
    toast.classList.add("undo");
    toast.dataset.key = key;
    const entry = { opts: opts, toast: toast, timer: null };
    entry.timer = setTimeout(() => LB.sendNow(key), ms);
    held.set(key, entry);
    return true;
  };
  LB.isHeld = function (key) { return held.has(key); };
  LB.heldKeys = function () { return [...held.keys()]; };
  LB.undo = function (key) {
    const entry = held.get(key);
    if (!entry) return false;
    held.delete(key);
    clearTimeout(entry.timer);
    entry.toast.remove();
    LB.toast(entry.opts.undone);
    if (entry.opts.onUndo) entry.opts.onUndo();
    return true;
  };
  LB.sendNow = async function (key) {
    const entry = held.get(key);
    if (!entry) return;
    held.delete(key);
    clearTimeout(entry.timer);
    entry.toast.remove();
    await entry.opts.run();
  };
  window.addEventListener("pagehide", () => {
    for (const entry of held.values()) {
      fetch("/api/v1/" + entry.opts.path, {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": LB.csrf() },
        body: JSON.stringify(entry.opts.body || {}),
      });
    }
    held.clear();
  });

  LB.STATUS_TEXT = {
    draft: "Draft",
    pending_review: "Held for review",
    queued: "Queued — waiting for the sender",
    sending: "Sending — waiting for the platform's receipt",
    unknown: "Outcome unknown — check the thread and decide",
    sent: "Sent",
    failed: "Failed — will retry",
    dead: "Failed for good (dead letter)",
    blocked: "Blocked by a guardrail",
    cancelled: "Cancelled",
  };
})();

/* The review queue: what waits for a human, most urgent first, with filters, counts and keys. */
(function () {
  "use strict";
  const LB = window.LB;
  const list = document.getElementById("queue-list");
  const stateNode = document.getElementById("queue-state");
  const countsNode = document.getElementById("queue-counts");
  const fPlatform = document.getElementById("f-platform");
  const fAccount = document.getElementById("f-account");
  const KIND_TEXT = {
    guardrail_hold: "Guardrail hold",
    draft: "Draft",
    escalation: "Escalation",
    dead_letter: "Dead letter",
  };
  const noticeNode = document.getElementById("queue-notice");
  const UNDO_MS = 1000 * Number(list.dataset.undoSeconds || 5);
  const APPROVABLE = ["draft", "guardrail_hold"];
  let items = [];
  /* The selection is an item's key (its outbound or conversation id), never a position: a
     refresh that adds or removes items above it must not move it onto someone else. */
  let selectedKey = null;
  let selectedWhat = "";
  let lastIndex = 0;
  /* Approvals waiting out their undo window, by outbound id: {item, timer, toast}. */
  const pending = new Map();
  /* Keys this agent approved: when one leaves the queue, the selection moves on quietly. */
  const handledHere = new Set();

  function indexOfSelected() { return items.findIndex((x) => x.key === selectedKey); }
  function describe(item) {
    return LB.renter(item.renter_name, item.conversation) + "'s " + (KIND_TEXT[item.kind] || item.kind).toLowerCase();
  }
  function select(i) {
    const item = items[i];
    if (!item) return;
    selectedKey = item.key;
    selectedWhat = describe(item);
    lastIndex = i;
    noticeNode.hidden = true;
    delete noticeNode.dataset.key;
  }

  function params() {
    const q = new URLSearchParams();
    if (fPlatform.value) q.set("platform", fPlatform.value);
    if (fAccount.value) q.set("account", fAccount.value);
    return q;
  }

  async function loadFilters() {
    const url = new URLSearchParams(location.search);
    try {
      const accounts = (await LB.api("platform-accounts/")).data;
      const platforms = [...new Set(accounts.map((a) => a.platform))].sort();
      for (const p of platforms) fPlatform.append(LB.el("option", { value: p, text: p }));
      for (const a of accounts) fAccount.append(LB.el("option", { value: a.id, text: a.platform + " / " + a.label }));
    } catch (e) {
      LB.toast("Could not load the account filter: " + e.message, "error");
    }
    fPlatform.value = url.get("platform") || "";
    fAccount.value = url.get("account") || "";
  }

  function renderCounts(counts) {
    LB.clear(countsNode);
    for (const kind of ["guardrail_hold", "draft", "escalation", "dead_letter"]) {
      countsNode.append(
        LB.el("div", { class: "count " + kind, "data-kind": kind },
          LB.el("strong", { text: counts[kind] }), LB.el("span", { text: KIND_TEXT[kind] })),
      );
    }
    countsNode.append(LB.el("div", { class: "count total" }, LB.el("strong", { text: counts.total }), LB.el("span", { text: "Total" })));
  }

  function itemHref(item) {
    return item.conversation ? "/review/conversations/" + item.conversation + "/" : null;
  }

  function render() {
    LB.clear(list);
    items.forEach((item, i) => {
      const waiting = item.outbound && pending.has(item.outbound);
      const href = itemHref(item);
      const title = LB.el("div", { class: "q-title" },
        LB.el("span", { class: "kind " + item.kind, text: KIND_TEXT[item.kind] || item.kind }),
        " ",
        href ? LB.el("a", { href: href, text: item.renter_name || "(no name)" }) : LB.el("span", { text: item.renter_name || "(no conversation)" }),
        LB.el("span", { class: "muted", text: " · " + item.platform + " / " + item.account_label }),
      );
      const actions = LB.el("div", { class: "q-actions" });
      if (item.outbound && APPROVABLE.includes(item.kind)) {
        const b = LB.el("button", { type: "button", class: "btn primary q-approve", text: waiting ? "Approving…" : "Approve", disabled: waiting });
        b.addEventListener("click", (ev) => { ev.stopPropagation(); select(i); render(); approve(item); });
        actions.append(b);
      }
      const li = LB.el("li", { class: "q-item" + (item.key === selectedKey ? " selected" : "") + (waiting ? " approving" : ""), "data-key": item.key, tabindex: "-1" },
        title,
        LB.el("p", { class: "preview", text: item.preview }),
        LB.el("div", { class: "q-foot" },
          LB.el("span", { class: "reasons", text: item.reasons.join(" · ") }),
          LB.el("span", { class: "muted", text: "waiting " + LB.since(item.waiting_since) + " (since " + LB.fmt(item.waiting_since) + ")" }),
        ),
        actions,
      );
      li.addEventListener("click", (ev) => {
        if (ev.target.tagName === "A") return;
        select(i);
        render();
      });
      list.append(li);
    });
    sessionStorage.setItem("lb-queue", JSON.stringify(items.filter((x) => x.conversation).map((x) => x.conversation)));
  }

  async function load() {
    LB.state(stateNode, "loading", "Loading the queue…");
    const q = params();
    history.replaceState(null, "", q.toString() ? "?" + q : location.pathname);
    try {
      const data = (await LB.api("review/queue/?" + q)).data;
      items = data.items;
      if (selectedKey === null && items.length) select(0);
      else if (selectedKey !== null && indexOfSelected() < 0 && handledHere.has(selectedKey)) {
        if (items.length) select(Math.min(lastIndex, items.length - 1));
      } else if (selectedKey !== null && indexOfSelected() < 0 && !noticeNode.dataset.key) {
        /* The selected item left the queue (someone else handled it): nothing is selected now,
           so a key press cannot land on whatever moved into its place. */
        noticeNode.textContent = "The item you had selected (" + selectedWhat + ") has left the queue: someone else handled it. Nothing is selected; press j to select the next item.";
        noticeNode.dataset.key = selectedKey;
        noticeNode.hidden = false;
      } else if (indexOfSelected() >= 0) {
        lastIndex = indexOfSelected();
      }
      renderCounts(data.counts);
      if (!items.length) LB.state(stateNode, "empty", "Nothing waits for a human. Well done.");
      else LB.state(stateNode, "", "");
      render();
    } catch (e) {
      LB.state(stateNode, "error", "Could not load the queue: " + e.message, load);
    }
  }

  function move(delta) {
    if (!items.length) return;
    const at = indexOfSelected();
    /* From a selection that left the queue, j takes the item now at its old place. */
    const from = at >= 0 ? at + delta : delta > 0 ? lastIndex : lastIndex - 1;
    select(Math.max(0, Math.min(items.length - 1, from)));
    render();
    const node = list.children[indexOfSelected()];
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  /* Send an approval whose undo window has passed, for exactly the outbound the agent chose. */
  async function send(outboundId) {
    const entry = pending.get(outboundId);
    if (!entry) return;
    pending.delete(outboundId);
    clearTimeout(entry.timer);
    entry.toast.remove();
    const what = describe(entry.item);
    try {
      const row = (await LB.api("outbound/" + outboundId + "/approve/", { method: "POST", body: {} })).data;
      handledHere.add(entry.item.key);
      LB.toast("Approved " + what + " — " + (LB.STATUS_TEXT[row.status] || row.status));
    } catch (e) {
      const fate = e.status === 409 ? "someone else acted first (" + e.message + ")" : e.message;
      LB.toast("Not approved: " + what + ": " + fate, "error");
    }
    await load();
    LB.refreshBadge();
  }

  function undo(outboundId) {
    const entry = pending.get(outboundId);
    if (!entry) return;
    pending.delete(outboundId);
    clearTimeout(entry.timer);
    entry.toast.remove();
    LB.toast("Undone: " + describe(entry.item) + " was not approved and nothing was sent.");
    render();
  }

  /* Approve one item: the request waits UNDO_MS for an Undo, bound to this item's outbound id. */
  function approve(item) {
    if (!item || !item.outbound || !APPROVABLE.includes(item.kind)) {
      LB.toast(item ? "Nothing to approve: " + describe(item) + " has no draft." : "Nothing is selected: press j to select an item.", "error");
      return;
    }
    if (pending.has(item.outbound)) return;
    const seconds = Math.round(UNDO_MS / 1000);
    const toast = LB.toast("Approving " + describe(item) + " in " + seconds + " s.", "ok", { label: "Undo", run: () => undo(item.outbound), ms: UNDO_MS + 1000 });
    toast.dataset.outbound = String(item.outbound);
    toast.classList.add("undo");
    pending.set(item.outbound, { item: item, toast: toast, timer: setTimeout(() => send(item.outbound), UNDO_MS) });
    render();
  }

  function approveSelected() {
    const at = indexOfSelected();
    if (at < 0 && selectedKey !== null) {
      LB.toast("Not approved: the item you had selected (" + selectedWhat + ") is no longer in the queue. Nothing was sent.", "error");
      return;
    }
    approve(items[at]);
  }

  /* Leaving the page ends the undo windows: the agent decided, so the approvals go out now. */
  window.addEventListener("pagehide", () => {
    for (const id of pending.keys()) {
      fetch("/api/v1/outbound/" + id + "/approve/", {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": LB.csrf() }, body: "{}",
      });
    }
    pending.clear();
  });

  LB.onKey((ev) => {
    if (ev.key === "j") move(1);
    else if (ev.key === "k") move(-1);
    else if (ev.key === "a") approveSelected();
    else if (ev.key === "u" && pending.size) undo([...pending.keys()].pop());
    else if (ev.key === "Enter" || ev.key === "o") {
      const at = indexOfSelected();
      const href = at >= 0 && itemHref(items[at]);
      if (href) location.href = href;
    } else return;
    ev.preventDefault();
  });

  document.addEventListener("lb:counts", (ev) => {
    const h = ev.detail.hold_to_answer;
    document.getElementById("hold-stats").textContent = h.count
      ? "Hold to human answer, last " + h.days + " days: median " + LB.duration(h.median_seconds) + ", p90 " + LB.duration(h.p90_seconds) + " (" + h.count + " replies)."
      : "";
  });

  /* A new filter is a new list: start the selection afresh (the old item did not "leave"). */
  const refilter = () => { selectedKey = null; noticeNode.hidden = true; load(); };
  fPlatform.addEventListener("change", refilter);
  fAccount.addEventListener("change", refilter);
  LB.ready.then(loadFilters).then(load);
  setInterval(() => { if (!document.hidden) load(); }, 30000);
})();

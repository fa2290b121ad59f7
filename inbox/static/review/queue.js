/* The review queue: what waits for a human, most urgent first, as triage cards (the renter's last
 * message, the reason in words, unit, assignee, waiting time), with filters, counts that filter,
 * keys, and bulk approve / reject / assign of the ticked items. */
(function () {
  "use strict";
  const LB = window.LB;
  const list = document.getElementById("queue-list");
  const stateNode = document.getElementById("queue-state");
  const countsNode = document.getElementById("queue-counts");
  const filters = {
    platform: document.getElementById("f-platform"),
    account: document.getElementById("f-account"),
    unit: document.getElementById("f-unit"),
    reason: document.getElementById("f-reason"),
  };
  const KIND_TEXT = {
    guardrail_hold: "Guardrail hold",
    draft: "Draft",
    escalation: "Escalation",
    dead_letter: "Dead letter",
  };
  const noticeNode = document.getElementById("queue-notice");
  const reasonCountsNode = document.getElementById("reason-counts");
  const bulk = {
    bar: document.getElementById("bulk-bar"),
    summary: document.getElementById("bulk-summary"),
    all: document.getElementById("bulk-all"),
    approve: document.getElementById("bulk-approve"),
    reject: document.getElementById("bulk-reject"),
    agent: document.getElementById("bulk-agent"),
    assign: document.getElementById("bulk-assign"),
    clear: document.getElementById("bulk-clear"),
    result: document.getElementById("bulk-result"),
  };
  const BULK_VERB = { approve: "Approved", reject: "Rejected", assign: "Assigned" };
  /* The kind a count link shows (?kind=draft); the other filters are the selects'. */
  let kindFilter = KIND_TEXT[LB.urlParams().get("kind")] ? LB.urlParams().get("kind") : "";
  let allItems = [];
  /* Ticked items by key, with what the agent saw when ticking: the version goes back with the
     bulk action (the server skips an item that changed since), the name goes in every message.
     A refresh keeps them by key; one that left the queue stays ticked and is reported, never
     silently dropped or replaced by whatever took its place. */
  const ticked = new Map();
  const APPROVABLE = ["draft", "guardrail_hold"];
  let items = [];
  /* The selection is an item's key (its outbound or conversation id), never a position: a
     refresh that adds or removes items above it must not move it onto someone else. */
  let selectedKey = null;
  let selectedWhat = "";
  let lastIndex = 0;
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

  /* A count is a link: it shows that kind only (the total shows every kind again). */
  function countLink(kind, n, label) {
    const q = LB.filterValues(filters);
    if (kind) q.set("kind", kind);
    const active = kind === kindFilter;
    const a = LB.el("a", {
      class: "count " + (kind || "total") + (active ? " active" : ""), "data-kind": kind || "total",
      href: "?" + q.toString(), "aria-current": active ? "true" : null,
      title: kind ? "Show only " + label.toLowerCase() + "s" : "Show every kind",
    }, LB.el("strong", { text: n }), LB.el("span", { text: label }));
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      kindFilter = kind;
      selectedKey = null;
      noticeNode.hidden = true;
      applyKind();
      if (items.length) select(0);
      renderCounts(lastCounts);
      render();
    });
    return a;
  }
  let lastCounts = null;
  function renderCounts(counts) {
    lastCounts = counts;
    LB.clear(countsNode);
    for (const kind of ["guardrail_hold", "draft", "escalation", "dead_letter"]) countsNode.append(countLink(kind, counts[kind], KIND_TEXT[kind]));
    countsNode.append(countLink("", counts.total, "Total"));
  }
  /* Reason counters: each link sets the reason filter (and shows what it filters by). */
  function renderReasonCounts(reasonCounts) {
    LB.clear(reasonCountsNode);
    if (!reasonCounts.length) { reasonCountsNode.hidden = true; return; }
    reasonCountsNode.hidden = false;
    reasonCountsNode.append(LB.el("span", { class: "muted", text: "Held because: " }));
    for (const r of reasonCounts) {
      const q = LB.filterValues(filters);
      q.set("reason", r.code);
      const a = LB.el("a", { class: "chip reason-count" + (filters.reason.value === r.code ? " active" : ""), href: "?" + q.toString(), "data-reason": r.code },
        r.text + " ", LB.el("strong", { text: r.count }));
      a.addEventListener("click", (ev) => {
        ev.preventDefault();
        filters.reason.value = filters.reason.value === r.code ? "" : r.code;
        refilter();
      });
      reasonCountsNode.append(a);
    }
  }
  function applyKind() {
    items = kindFilter ? allItems.filter((x) => x.kind === kindFilter) : allItems;
    const q = LB.filterValues(filters);
    if (kindFilter) q.set("kind", kindFilter);
    LB.keepInUrl(q);
    if (!items.length) LB.state(stateNode, "empty", kindFilter && allItems.length ? "No " + KIND_TEXT[kindFilter].toLowerCase() + "s wait right now; the other kinds are under Total." : "Nothing waits for a human. Well done.");
    else LB.state(stateNode, "", "");
  }

  function itemHref(item) {
    return item.conversation ? "/review/conversations/" + item.conversation + "/" : null;
  }

  function render() {
    LB.clear(list);
    items.forEach((item, i) => {
      const waiting = item.outbound && LB.isHeld(approvalKey(item.outbound));
      const href = itemHref(item);
      const title = LB.el("div", { class: "q-title" },
        LB.el("span", { class: "kind " + item.kind, text: KIND_TEXT[item.kind] || item.kind }),
        " ",
        href ? LB.el("a", { href: href, text: item.renter_name || "(no name)" }) : LB.el("span", { text: item.renter_name || "(no conversation)" }),
        LB.el("span", { class: "muted", text: " · " + item.platform + " / " + item.account_label + " · " + (item.unit_name || "no unit linked") }),
      );
      const actions = LB.el("div", { class: "q-actions" });
      if (item.outbound && APPROVABLE.includes(item.kind)) {
        const b = LB.el("button", { type: "button", class: "btn primary q-approve", text: waiting ? "Approving…" : "Approve", disabled: waiting });
        b.addEventListener("click", (ev) => { ev.stopPropagation(); select(i); render(); approve(item); });
        actions.append(b);
      }
      const seen = ticked.get(item.key);
      const changed = seen && seen.version !== item.version;
      let tick = null;
      if (tickable(item)) {
        tick = LB.el("input", { type: "checkbox", class: "q-tick", "aria-label": "Select " + describe(item), checked: Boolean(seen) });
        tick.addEventListener("click", (ev) => ev.stopPropagation());
        tick.addEventListener("change", () => { setTicked(item, tick.checked); render(); });
      }
      const said = item.last_message && item.kind !== "escalation"
        ? LB.el("p", { class: "said" }, LB.el("span", { class: "muted", text: (item.renter_name || "The renter") + " wrote: " }), LB.el("q", { text: item.last_message }))
        : null;
      const li = LB.el("li", { class: "q-item" + (item.key === selectedKey ? " selected" : "") + (waiting ? " approving" : "") + (seen ? " ticked" : ""), "data-key": item.key, tabindex: "-1" },
        LB.el("div", { class: "q-head" }, tick, title),
        said,
        LB.el("p", { class: "preview", text: item.preview }),
        changed ? LB.el("p", { class: "warn changed", text: "Changed since you ticked it: a bulk action will skip it. Untick and tick it again to act on it as it is now." }) : null,
        LB.el("div", { class: "q-foot" },
          LB.el("span", { class: "reasons", text: item.reasons.join(" · ") }),
          LB.el("span", { class: "muted assignee", text: item.assignee || "nobody assigned" }),
          LB.el("span", { class: "muted", text: "waiting " + LB.since(item.waiting_since) + " (since " + LB.fmt(item.waiting_since) + ")" }),
        ),
        actions,
      );
      li.addEventListener("click", (ev) => {
        if (ev.target.tagName === "A" || ev.target.tagName === "INPUT") return;
        select(i);
        render();
      });
      list.append(li);
    });
    sessionStorage.setItem("lb-queue", JSON.stringify(items.filter((x) => x.conversation).map((x) => x.conversation)));
    renderBulk();
  }

  /* --- Bulk triage --- */
  function tickable(item) { return Boolean(item.version) && (item.kind !== "dead_letter"); }
  function setTicked(item, on) {
    if (on) ticked.set(item.key, { version: item.version, name: LB.renter(item.renter_name, item.conversation), outbound: item.outbound, conversation: item.conversation, account: item.account });
    else ticked.delete(item.key);
    bulk.result.hidden = true;
  }
  function tickedNames(list) {
    const names = list.map((t) => t.name);
    return names.length <= 6 ? names.join(", ") : names.slice(0, 6).join(", ") + " and " + (names.length - 6) + " more";
  }
  function renderBulk() {
    const shownTickable = items.filter(tickable);
    bulk.all.checked = shownTickable.length > 0 && shownTickable.every((x) => ticked.has(x.key));
    bulk.all.indeterminate = !bulk.all.checked && shownTickable.some((x) => ticked.has(x.key));
    bulk.all.disabled = !shownTickable.length;
    bulk.bar.hidden = ticked.size === 0;
    if (!ticked.size) return;
    const present = new Set(allItems.map((x) => x.key));
    const gone = [...ticked.keys()].filter((k) => !present.has(k)).length;
    const drafts = [...ticked.values()].filter((t) => t.outbound).length;
    bulk.summary.textContent = ticked.size + " selected: " + tickedNames([...ticked.values()]) +
      (gone ? " (" + gone + " no longer in the queue: it will be skipped)" : "");
    bulk.approve.disabled = bulk.reject.disabled = drafts === 0;
    bulk.assign.disabled = !bulk.agent.value;
    loadAgents();
  }
  /* The agents every ticked item's account is granted to (one request per account, cached). */
  const agentsByAccount = new Map();
  let agentsFor = "";
  async function loadAgents() {
    const convByAccount = new Map();
    for (const t of ticked.values()) if (t.conversation && t.account && !convByAccount.has(t.account)) convByAccount.set(t.account, t.conversation);
    const sig = [...convByAccount.keys()].sort().join(",");
    if (sig === agentsFor) return;
    agentsFor = sig;
    try {
      const lists = await Promise.all([...convByAccount.entries()].map(async ([account, conv]) => {
        if (!agentsByAccount.has(account)) agentsByAccount.set(account, (await LB.api("conversations/" + conv + "/agents/")).data);
        return agentsByAccount.get(account);
      }));
      if (sig !== agentsFor) return;
      const common = lists.length ? lists.reduce((acc, l) => acc.filter((a) => l.some((b) => b.id === a.id))) : [];
      const keep = bulk.agent.value;
      LB.clear(bulk.agent);
      bulk.agent.append(LB.el("option", { value: "", text: "Choose…" }));
      bulk.agent.append(LB.el("option", { value: "none", text: "Back to the unit's agent" }));
      for (const a of common) bulk.agent.append(LB.el("option", { value: a.id, text: a.username + (LB.me && LB.me.id === a.id ? " (me)" : "") }));
      bulk.agent.value = [...bulk.agent.options].some((o) => o.value === keep) ? keep : "";
      bulk.assign.disabled = !bulk.agent.value;
    } catch (e) {
      agentsFor = "";
      LB.toast("Could not load the agents to assign to: " + e.message, "error");
    }
  }

  async function runBulk(action) {
    const chosen = [...ticked.entries()];
    const list = chosen.map(([, t]) => t);
    const n = chosen.length;
    const who = tickedNames(list);
    let title, text, body = {};
    if (action === "approve") {
      title = "Approve " + n + " item" + (n === 1 ? "" : "s") + "?";
      text = "Approve and queue the drafts to " + who + ". Each goes out once; any that changed since you saw it, or has no draft, is skipped and named.";
    } else if (action === "reject") {
      title = "Reject " + n + " draft" + (n === 1 ? "" : "s") + "?";
      text = "Reject the drafts to " + who + ": nothing is sent to them. Say why (kept in the audit log).";
    } else {
      const opt = bulk.agent.selectedOptions[0];
      title = "Assign " + n + " conversation" + (n === 1 ? "" : "s") + "?";
      text = "Give the conversations of " + who + " to " + (opt ? opt.textContent : "") + ".";
      body.agent = bulk.agent.value === "none" ? null : Number(bulk.agent.value);
    }
    const answer = await LB.confirm(title, text, action === "reject");
    if (!answer.ok) return;
    if (action === "reject") {
      if (!answer.reason) { LB.toast("Not rejected: say why the drafts are rejected.", "error"); return; }
      body.reason = answer.reason;
    }
    body.action = action;
    body.items = chosen.map(([key, t]) => ({ key: key, version: t.version }));
    for (const b of [bulk.approve, bulk.reject, bulk.assign]) b.disabled = true;
    try {
      const res = (await LB.api("review/bulk/", { method: "POST", body: body })).data;
      showResult(res, chosen);
      ticked.clear();
    } catch (e) {
      LB.toast("Nothing was done: " + e.message, "error");
    }
    await load();
    LB.refreshBadge();
  }

  function showResult(res, chosen) {
    const names = new Map(chosen.map(([key, t]) => [key, t.name]));
    LB.clear(bulk.result);
    bulk.result.className = "notice bulk-result" + (res.skipped ? "" : " ok");
    bulk.result.append(LB.el("p", { class: "bulk-head", text: BULK_VERB[res.action] + " " + res.done + " of " + res.results.length + "." + (res.skipped ? " Skipped " + res.skipped + ":" : "") }));
    const skipped = res.results.filter((r) => r.outcome === "skipped");
    if (skipped.length) {
      const ul = LB.el("ul", { class: "bulk-skipped" });
      for (const r of skipped) {
        const name = r.renter_name || names.get(r.key) || r.key;
        const nothing = res.action === "approve" ? " Nothing was sent to them." : "";
        ul.append(LB.el("li", { "data-key": r.key }, LB.el("strong", { text: name }), " — " + r.reason + "." + nothing));
      }
      bulk.result.append(ul);
    }
    bulk.result.hidden = false;
    LB.toast(BULK_VERB[res.action] + " " + res.done + " of " + res.results.length + (res.skipped ? "; " + res.skipped + " skipped (see the list above the queue)" : ""), res.skipped ? "error" : "ok");
  }

  bulk.all.addEventListener("change", () => {
    for (const item of items.filter(tickable)) setTicked(item, bulk.all.checked);
    render();
  });
  bulk.approve.addEventListener("click", () => runBulk("approve"));
  bulk.reject.addEventListener("click", () => runBulk("reject"));
  bulk.assign.addEventListener("click", () => runBulk("assign"));
  bulk.agent.addEventListener("change", () => { bulk.assign.disabled = !bulk.agent.value; });
  bulk.clear.addEventListener("click", () => { ticked.clear(); render(); });

  async function load() {
    LB.state(stateNode, "loading", "Loading the queue…");
    const q = LB.filterValues(filters);
    try {
      const data = (await LB.api("review/queue/?" + q)).data;
      allItems = data.items;
      applyKind();
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
      renderReasonCounts(data.reason_counts);
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

  function approvalKey(outboundId) { return "approve-" + outboundId; }

  /* Approve one item: the request waits out the undo window (LB.later), bound to this item's
     outbound id, so a refresh or another agent in the meantime cannot redirect it. */
  function approve(item) {
    if (!item || !item.outbound || !APPROVABLE.includes(item.kind)) {
      LB.toast(item ? "Nothing to approve: " + describe(item) + " has no draft." : "Nothing is selected: press j to select an item.", "error");
      return;
    }
    const what = describe(item);
    const path = "outbound/" + item.outbound + "/approve/";
    LB.later(approvalKey(item.outbound), {
      text: "Approving " + what + " in " + LB.undoSeconds + " s.",
      undone: "Undone: " + what + " was not approved and nothing was sent.",
      path: path,
      body: { version: item.version },
      onUndo: render,
      run: async () => {
        try {
          // The version the card showed: a renter who wrote again since makes this a 409, not a stale send.
          const row = (await LB.api(path, { method: "POST", body: { version: item.version } })).data;
          handledHere.add(item.key);
          LB.toast("Approved " + what + " — " + (LB.STATUS_TEXT[row.status] || row.status));
        } catch (e) {
          const fate = e.status === 409 ? "someone else acted first (" + e.message + ")" : e.message;
          LB.toast("Not approved: " + what + ": " + fate, "error");
        }
        await load();
        LB.refreshBadge();
      },
    });
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

  LB.onKey((ev) => {
    if (ev.key === "j") move(1);
    else if (ev.key === "k") move(-1);
    else if (ev.key === "a") approveSelected();
    else if (ev.key === "u" && LB.heldKeys().length) LB.undo(LB.heldKeys().pop());
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
  LB.start(() => LB.filters(filters, refilter)).then(load);
  setInterval(() => { if (!document.hidden) load(); }, 30000);
})();

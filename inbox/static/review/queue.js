/* The review queue: what waits for a human, most urgent first, with filters, counts and keys. */
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
    const q = LB.filterValues(filters);
    LB.keepInUrl(q);
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
      body: {},
      onUndo: render,
      run: async () => {
        try {
          const row = (await LB.api(path, { method: "POST", body: {} })).data;
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

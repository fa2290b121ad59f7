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
  let items = [];
  let selected = 0;

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
      const href = itemHref(item);
      const title = LB.el("div", { class: "q-title" },
        LB.el("span", { class: "kind " + item.kind, text: KIND_TEXT[item.kind] || item.kind }),
        " ",
        href ? LB.el("a", { href: href, text: item.renter_name || "(no name)" }) : LB.el("span", { text: item.renter_name || "(no conversation)" }),
        LB.el("span", { class: "muted", text: " · " + item.platform + " / " + item.account_label }),
      );
      const li = LB.el("li", { class: "q-item" + (i === selected ? " selected" : ""), "data-key": item.key, tabindex: "-1" },
        title,
        LB.el("p", { class: "preview", text: item.preview }),
        LB.el("div", { class: "q-foot" },
          LB.el("span", { class: "reasons", text: item.reasons.join(" · ") }),
          LB.el("span", { class: "muted", text: "waiting " + LB.since(item.waiting_since) + " (since " + LB.fmt(item.waiting_since) + ")" }),
        ),
      );
      li.addEventListener("click", (ev) => {
        if (ev.target.tagName === "A") return;
        selected = i;
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
      selected = Math.min(selected, Math.max(0, items.length - 1));
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
    selected = Math.max(0, Math.min(items.length - 1, selected + delta));
    render();
    const node = list.children[selected];
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  async function approveSelected() {
    const item = items[selected];
    if (!item || !item.outbound || !["draft", "guardrail_hold"].includes(item.kind)) {
      LB.toast("The selected item has no draft to approve.", "error");
      return;
    }
    try {
      const row = (await LB.api("outbound/" + item.outbound + "/approve/", { method: "POST", body: {} })).data;
      LB.toast("Approved: " + (LB.STATUS_TEXT[row.status] || row.status));
      await load();
      LB.refreshBadge();
    } catch (e) {
      LB.toast("Not approved: " + e.message, "error");
    }
  }

  LB.onKey((ev) => {
    if (ev.key === "j") move(1);
    else if (ev.key === "k") move(-1);
    else if (ev.key === "a") approveSelected();
    else if (ev.key === "Enter" || ev.key === "o") {
      const href = items[selected] && itemHref(items[selected]);
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

  fPlatform.addEventListener("change", load);
  fAccount.addEventListener("change", load);
  LB.ready.then(loadFilters).then(load);
  setInterval(() => { if (!document.hidden) load(); }, 30000);
})();

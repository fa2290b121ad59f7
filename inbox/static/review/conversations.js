/* Every conversation in the caller's scope, by tab (what needs a human, mine, unassigned, taken
 * over, waiting on the renter, snoozed, resolved, all), with filters (platform, account, unit, reason) and search over
 * renter, message text, unit and listing. Tab, filters and search stay in the address. The tabs are
 * links (?tab=), so one clicked before this script has run still opens its tab. */
(function () {
  "use strict";
  const LB = window.LB;
  const list = document.getElementById("conv-list");
  const stateNode = document.getElementById("conv-state");
  const countNode = document.getElementById("conv-count");
  const more = document.getElementById("conv-more");
  const search = document.getElementById("c-search");
  const filters = {
    platform: document.getElementById("f-platform"),
    account: document.getElementById("f-account"),
    unit: document.getElementById("f-unit"),
    reason: document.getElementById("f-reason"),
  };
  /* The working tabs show open conversations only (a snooze that ran out is open again). */
  const OPEN = { conversation_status: "open" };
  const TABS = {
    needs: Object.assign({ human_required: "true" }, OPEN),
    mine: Object.assign({ assigned: "me" }, OPEN),
    unassigned: Object.assign({ assigned: "none" }, OPEN),
    taken: Object.assign({ taken_over: "true" }, OPEN),
    waiting: Object.assign({ waiting_on_renter: "true" }, OPEN),
    snoozed: { conversation_status: "snoozed" },
    resolved: { conversation_status: "resolved" },
    all: {},
  };
  const url = LB.urlParams();
  let tab = TABS[url.get("tab")] ? url.get("tab") : "needs";
  let page = 1;
  search.value = url.get("q") || "";

  function query(forTab) {
    const q = LB.filterValues(filters, new URLSearchParams(TABS[forTab || tab]));
    const text = search.value.trim();
    if (text) q.set("search", text);
    q.set("page", String(page));
    return q;
  }

  function statusFlag(c) {
    if (c.status === "snoozed") return LB.el("span", { class: "kind snoozed", text: "Snoozed until " + LB.fmt(c.snoozed_until) });
    if (c.status === "resolved") return LB.el("span", { class: "kind resolved", text: "Resolved" + (c.status_changed_by ? " by " + c.status_changed_by : "") });
    return null;
  }

  function row(c) {
    const holder = c.taken_over_by ? "taken over by " + c.taken_over_by : c.assigned_agent ? "assigned to " + c.assigned_agent : c.default_agent ? "default agent " + c.default_agent : "nobody assigned";
    const flags = [statusFlag(c)];
    if (c.human_required) flags.push(LB.el("span", { class: "kind escalation", text: "Needs a human" }));
    if (c.waiting_outbound) flags.push(LB.el("span", { class: "kind", text: c.waiting_outbound + " draft" + (c.waiting_outbound > 1 ? "s" : "") + " waiting" }));
    if (c.opted_out) flags.push(LB.el("span", { class: "kind", text: "Opted out" }));
    const where = [c.platform + " / " + c.account_label, c.unit_name || c.listing_title || "no unit linked"].join(" · ");
    return LB.el("li", { class: "q-item", "data-id": c.id },
      LB.el("div", { class: "q-title" },
        LB.el("a", { href: "/review/conversations/" + c.id + "/", text: c.renter_name || "Conversation " + c.id }),
        LB.el("span", { class: "muted", text: " · " + where }), " ", ...flags),
      LB.el("p", { class: "preview", text: c.last_inbound_body || "" }),
      LB.el("div", { class: "q-foot" },
        LB.el("span", { class: "reasons", text: c.human_required ? c.human_reason : c.workflow_outcome }),
        LB.el("span", { class: "muted", text: holder + " · last message " + LB.fmt(c.last_inbound_at) })),
    );
  }

  let latest = 0;

  async function load(append) {
    const mine = ++latest;
    if (!append) {
      page = 1;
      LB.clear(list);
      LB.state(stateNode, "loading", "Loading conversations…");
    }
    const shown = LB.filterValues(filters, new URLSearchParams({ tab: tab }));
    if (search.value.trim()) shown.set("q", search.value.trim());
    LB.keepInUrl(shown);
    for (const b of document.querySelectorAll("#conv-tabs .tab")) {
      // Each tab links to itself under the same filters and search (open in a new tab works too).
      const to = new URLSearchParams(shown);
      to.set("tab", b.dataset.tab);
      b.setAttribute("href", "?" + to);
      if (b.dataset.tab === tab) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    }
    if (!append) loadTabCounts();
    try {
      const data = (await LB.api("conversations/?" + query())).data;
      if (mine !== latest) return; // A newer load (tab, filter, search) replaced this one: drop its rows.
      for (const c of data.results) list.append(row(c));
      // Past the cap the API stops counting (count_capped): "1,000+ conversations".
      const counted = data.count.toLocaleString("en") + (data.count_capped ? "+" : "");
      countNode.textContent = counted + " conversation" + (data.count === 1 && !data.count_capped ? "" : "s") + (search.value.trim() ? " matching “" + search.value.trim() + "”" : "");
      more.hidden = !data.next;
      if (!data.count) LB.state(stateNode, "empty", search.value.trim() ? "No conversation matches your search in this tab." : "No conversations in this tab.");
      else LB.state(stateNode, "", "");
    } catch (e) {
      if (mine !== latest) return;
      LB.state(stateNode, "error", "Could not load the conversations: " + e.message, () => load(false));
    }
  }

  /* Each tab's count under the same filters and search: the tabs are the counters, and a
     click applies that tab. One small request per tab (page_size=1 reads the count only). */
  let countRound = 0;
  async function loadTabCounts() {
    const round = ++countRound;
    await Promise.all([...document.querySelectorAll("#conv-tabs .tab")].map(async (b) => {
      const q = query(b.dataset.tab);
      q.set("page", "1");
      q.set("page_size", "1");
      let text = "";
      try { const d = (await LB.api("conversations/?" + q)).data; text = d.count.toLocaleString("en") + (d.count_capped ? "+" : ""); } catch (e) { text = "?"; }
      if (round !== countRound) return;
      let node = b.querySelector(".tab-count");
      if (!node) { node = LB.el("span", { class: "tab-count" }); b.append(" ", node); }
      node.textContent = text;
      b.setAttribute("aria-label", b.firstChild.textContent.trim() + ": " + text + " conversation" + (text === "1" ? "" : "s"));
    }));
  }

  for (const b of document.querySelectorAll("#conv-tabs .tab")) {
    b.addEventListener("click", (ev) => {
      if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return; // The browser opens a new tab.
      ev.preventDefault();
      tab = b.dataset.tab;
      load(false);
    });
  }
  document.getElementById("conv-search").addEventListener("submit", (ev) => { ev.preventDefault(); load(false); });
  more.addEventListener("click", () => { page += 1; load(true); });
  LB.start(() => LB.filters(filters, () => load(false))).then(() => load(false));
})();

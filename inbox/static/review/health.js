/* The platform health board: per platform and account, last successes, errors, circuit, reasons. */
(function () {
  "use strict";
  const LB = window.LB;
  const board = document.getElementById("h-board");
  const stateNode = document.getElementById("h-state");

  function card(p) {
    const bad = !p.is_active || p.open_circuits || p.accounts_needing_login;
    const head = LB.el("div", { class: "h-head" },
      LB.el("h2", { text: p.name }),
      LB.el("span", { class: "pill " + (p.is_active ? (bad ? "warn" : "ok") : "off"), text: p.is_active ? (bad ? "attention" : "on") : "switched off" }),
    );
    const facts = LB.el("dl", { class: "facts" },
      LB.el("dt", { text: "Last ingest" }), LB.el("dd", { text: LB.fmt(p.last_ingest_success_at) }),
      LB.el("dt", { text: "Last send" }), LB.el("dd", { text: LB.fmt(p.last_send_success_at) }),
      LB.el("dt", { text: "Errors (ingest / send)" }), LB.el("dd", { text: p.ingest_error_count + " / " + p.send_error_count }),
      LB.el("dt", { text: "Open circuits" }), LB.el("dd", { text: p.open_circuits }),
      LB.el("dt", { text: "Need operator login" }), LB.el("dd", { text: p.accounts_needing_login }),
      LB.el("dt", { text: "Open dead letters" }), LB.el("dd", { text: p.open_dead_letters }),
    );
    const table = LB.el("table", { class: "grid" });
    table.append(LB.el("thead", {}, LB.el("tr", {}, ...["Account", "State", "Circuit", "Last ingest", "Last send", "Errors", "Last error"].map((t) => LB.el("th", { text: t })))));
    const body = LB.el("tbody");
    if (!p.accounts.length) body.append(LB.el("tr", {}, LB.el("td", { colspan: "7", class: "empty", text: "No accounts you can see." })));
    for (const a of p.accounts) {
      const state = a.is_active ? "on" : "off" + (a.disabled_reason ? ": " + a.disabled_reason : "");
      body.append(LB.el("tr", { "data-account": a.id },
        LB.el("td", { text: a.label }),
        LB.el("td", { class: a.is_active ? "" : "warn", text: state + (a.needs_operator_login ? " · needs operator login" : "") }),
        LB.el("td", { class: a.circuit_state === "closed" ? "" : "warn", text: a.circuit_state }),
        LB.el("td", { text: LB.fmt(a.last_ingest_success_at) }),
        LB.el("td", { text: LB.fmt(a.last_send_success_at) }),
        LB.el("td", { text: a.ingest_error_count + " / " + a.send_error_count + " (streak " + a.consecutive_failures + ")" }),
        LB.el("td", { text: a.last_error_class ? a.last_error_class + " " + LB.fmt(a.last_error_at) : "—" }),
      ));
    }
    table.append(body);
    return LB.el("section", { class: "panel h-card", "data-platform": p.slug }, head, facts, table);
  }

  async function load(quiet) {
    if (!quiet) LB.state(stateNode, "loading", "Loading health…");
    try {
      const rows = (await LB.api("health/platforms/")).data;
      LB.clear(board);
      for (const p of rows) board.append(card(p));
      LB.state(stateNode, "", "");
    } catch (e) {
      LB.state(stateNode, "error", "Could not load health: " + e.message, () => load());
    }
  }
  LB.ready.then(() => load());
  setInterval(() => { if (!document.hidden) load(true); }, 30000);
})();

/* The platform health board: the queues, and per platform and account: how far behind, last successes, errors, circuit, reasons. */
(function () {
  "use strict";
  const LB = window.LB;
  const board = document.getElementById("h-board");
  const stateNode = document.getElementById("h-state");
  const queuesNode = document.getElementById("h-queues");

  function slow(seconds, limit) {
    return seconds !== null && seconds !== undefined && seconds > limit ? "warn" : "";
  }

  function queues(q) {
    const facts = LB.el("dl", { class: "facts" });
    if (!q.broker_reachable) facts.append(LB.el("dt", { text: "Broker" }), LB.el("dd", { class: "warn", text: "unreachable" }));
    for (const item of q.queues) facts.append(LB.el("dt", { text: "Queue " + item.name }), LB.el("dd", { "data-queue": item.name, text: String(item.depth) }));
    for (const job of q.jobs) {
      facts.append(
        LB.el("dt", { text: job.stage + " jobs waiting" }),
        LB.el("dd", { "data-jobs": job.stage, class: slow(job.oldest_wait_seconds, 60), text: job.waiting + (job.waiting ? " (oldest " + LB.duration(job.oldest_wait_seconds) + ")" : "") }),
      );
    }
    return LB.el("section", { class: "panel h-card", "data-board": "queues" }, LB.el("div", { class: "h-head" }, LB.el("h2", { text: "Work waiting" })), facts);
  }

  function pair(count, p50, p95) {
    return count ? "p50 " + LB.duration(p50) + " · p95 " + LB.duration(p95) : "no data yet";
  }
  /* An age that may be missing: say what its absence means rather than print a dash. */
  function age(seconds, none) {
    return seconds === null || seconds === undefined ? none : LB.duration(seconds);
  }

  /* First reply: renter message (platform time) to stored, to drafted, to sent; p50 / p95 over the window. */
  function firstReply(rows) {
    const table = LB.el("table", { class: "grid", "data-board": "first-reply" });
    table.append(LB.el("thead", {}, LB.el("tr", {}, ...["Platform", "Renter messages", "Read", "Drafted", "Sent", "Unanswered"].map((t) => LB.el("th", { text: t })))));
    const body = LB.el("tbody");
    for (const r of rows) {
      body.append(LB.el("tr", { "data-first-reply": r.platform },
        LB.el("td", { text: r.platform === "all" ? "All platforms" : r.platform }),
        LB.el("td", { text: String(r.inbound) }),
        LB.el("td", { class: slow(r.seen_p95, 60), text: pair(r.seen_count, r.seen_p50, r.seen_p95) }),
        LB.el("td", { class: slow(r.drafted_p95, 60), text: pair(r.drafted_count, r.drafted_p50, r.drafted_p95) }),
        LB.el("td", { text: pair(r.sent_count, r.sent_p50, r.sent_p95) }),
        LB.el("td", { class: r.unanswered ? "warn" : "", text: String(r.unanswered) }),
      ));
    }
    table.append(body);
    const window = rows.length ? LB.duration(rows[0].window_s) : "";
    return LB.el("section", { class: "panel h-card", "data-board": "latency" },
      LB.el("div", { class: "h-head" }, LB.el("h2", { text: "First reply (last " + window + ")" })), table);
  }

  function card(p) {
    const bad = !p.is_active || p.open_circuits || p.accounts_needing_login;
    const head = LB.el("div", { class: "h-head" },
      LB.el("h2", { text: p.name }),
      LB.el("span", { class: "pill " + (p.is_active ? (bad ? "warn" : "ok") : "off"), text: p.is_active ? (bad ? "attention" : "on") : "switched off" }),
    );
    const facts = LB.el("dl", { class: "facts" },
      LB.el("dt", { text: "Last ingest" }), LB.el("dd", { text: p.last_ingest_success_at ? LB.fmt(p.last_ingest_success_at) : "never" }),
      LB.el("dt", { text: "Last send" }), LB.el("dd", { text: p.last_send_success_at ? LB.fmt(p.last_send_success_at) : "never" }),
      LB.el("dt", { text: "Errors (ingest / send)" }), LB.el("dd", { text: p.ingest_error_count + " / " + p.send_error_count }),
      LB.el("dt", { text: "Open circuits" }), LB.el("dd", { text: p.open_circuits }),
      LB.el("dt", { text: "Need operator login" }), LB.el("dd", { text: p.accounts_needing_login }),
      LB.el("dt", { text: "Open dead letters" }), LB.el("dd", { text: p.open_dead_letters }),
      LB.el("dt", { text: "Ingest lag" }), LB.el("dd", { "data-fact": "ingest-lag", class: slow(p.ingest_lag_seconds, 600), text: age(p.ingest_lag_seconds, "not read yet") }),
      LB.el("dt", { text: "Jobs waiting (ingest / send)" }), LB.el("dd", { "data-fact": "jobs-waiting", text: p.jobs_waiting_ingest + " / " + p.jobs_waiting_send }),
      LB.el("dt", { text: "Oldest waiting job" }), LB.el("dd", { "data-fact": "oldest-job", class: slow(p.oldest_job_wait_seconds, 60), text: age(p.oldest_job_wait_seconds, "none waiting") }),
      LB.el("dt", { text: "Oldest queued reply" }), LB.el("dd", { "data-fact": "oldest-queued", class: slow(p.send_queue_oldest_seconds, 300), text: age(p.send_queue_oldest_seconds, "none queued") }),
    );
    // A reply whose send was under way when its account (or the platform) was switched off: nothing
    // reads it back until the account runs again, so it may or may not be on the site.
    if (p.replies_unconfirmed_on_stopped) {
      const n = p.replies_unconfirmed_on_stopped;
      facts.append(
        LB.el("dt", { text: "Sent or not? (switched off)" }),
        LB.el("dd", { "data-fact": "unconfirmed-stopped", class: "warn",
          text: n + (n === 1 ? " reply was" : " replies were") + " being sent when the account was switched off: switch it on to read " + (n === 1 ? "it" : "them") + " back, or check the site before writing again" }),
      );
    }
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
        LB.el("td", { text: a.last_ingest_success_at ? LB.fmt(a.last_ingest_success_at) : "never" }),
        LB.el("td", { text: a.last_send_success_at ? LB.fmt(a.last_send_success_at) : "never" }),
        LB.el("td", { text: a.ingest_error_count + " / " + a.send_error_count + " (streak " + a.consecutive_failures + ")" }),
        LB.el("td", { text: a.last_error_class ? a.last_error_class + " " + LB.fmt(a.last_error_at) : "none" }),
      ));
    }
    table.append(body);
    return LB.el("section", { class: "panel h-card", "data-platform": p.slug }, head, facts, table, locators(p));
  }

  // Locators in use (from the code or an accepted override) and the healing proposals waiting or failed.
  function locators(p) {
    const h = p.healing || { open: 0, failed: 0, held_sends: 0, recent: [] };
    const overridden = p.locators.filter((l) => l.origin === "override").length;
    const summary = LB.el("summary", {
      "data-fact": "locators",
      class: h.open || h.failed ? "warn" : "",
      text: "Locators: " + p.locators.length + " in use, " + overridden + " from overrides · healing: " + h.open + " waiting, " +
        h.failed + " failed validation, " + h.held_sends + " send(s) held",
    });
    const events = LB.el("table", { class: "grid", "data-healing": p.slug });
    events.append(LB.el("thead", {}, LB.el("tr", {}, ...["Locator", "Healed as", "Score", "Status", "Seen", "Sends held", "Last seen"].map((t) => LB.el("th", { text: t })))));
    const eb = LB.el("tbody");
    if (!h.recent.length) eb.append(LB.el("tr", {}, LB.el("td", { colspan: "7", class: "empty", text: "No healing waiting." })));
    for (const e of h.recent) {
      eb.append(LB.el("tr", { "data-event": e.id },
        LB.el("td", { text: e.key }), LB.el("td", { text: e.proposed }), LB.el("td", { text: e.score.toFixed(2) }),
        LB.el("td", { class: "warn", text: e.status }), LB.el("td", { text: e.occurrences }), LB.el("td", { text: e.held_sends }),
        LB.el("td", { text: LB.fmt(e.last_seen_at) }),
      ));
    }
    events.append(eb);
    const list = LB.el("table", { class: "grid", "data-locators": p.slug });
    list.append(LB.el("thead", {}, LB.el("tr", {}, ...["Locator", "Selector", "From"].map((t) => LB.el("th", { text: t })))));
    const lb = LB.el("tbody");
    for (const l of p.locators) {
      lb.append(LB.el("tr", { "data-locator": l.key },
        LB.el("td", { text: l.key }), LB.el("td", { text: l.value }),
        LB.el("td", { class: l.origin === "override" ? "warn" : "", text: l.origin === "override" ? "override v" + l.version : "code" }),
      ));
    }
    list.append(lb);
    return LB.el("details", { class: "h-locators" }, summary, events, list);
  }

  async function load(quiet) {
    if (!quiet) LB.state(stateNode, "loading", "Loading health…");
    try {
      const [rows, q] = await Promise.all([LB.api("health/platforms/"), LB.api("health/queues/")]).then((r) => r.map((x) => x.data));
      LB.clear(queuesNode);
      queuesNode.append(queues(q));
      if (q.first_reply) queuesNode.append(firstReply(q.first_reply));
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

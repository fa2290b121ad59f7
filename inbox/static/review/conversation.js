/* One conversation: thread, unit, decision and why, slots, the draft editor with live guardrail
 * feedback, approve / reject, a manual reply (Idempotency-Key), takeover, assignment, notes, the
 * exact delivery status of every reply (polled until it is final), and the lead panel:
 * qualification edits, the follow-up schedule with pause, showings booked, moved, cancelled and
 * marked. Every lead action names what the page saw, so a stale one is a 409 that reloads. */
(function () {
  "use strict";
  const LB = window.LB;
  const root = document.getElementById("conversation");
  const id = Number(root.dataset.id);
  const $ = (x) => document.getElementById(x);
  const REVIEWABLE = ["draft", "pending_review"];
  const MOVING = ["queued", "sending", "failed"];
  let conv = null;
  let draft = null;
  let pollTimer = null;
  let replyKey = null;
  let replyKeyText = null;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function statusNode(row) {
    const box = LB.el("div", { class: "status s-" + row.status, "data-status": row.status });
    box.append(LB.el("strong", { text: LB.STATUS_TEXT[row.status] || row.status }));
    if (row.status === "sent") {
      box.append(" · platform message id ", LB.el("code", { class: "msg-ref", text: row.platform_message_ref }), " · " + LB.fmt(row.sent_at));
    } else if (row.status === "queued") {
      box.append(" since " + LB.fmt(row.queued_at));
    } else if (row.status === "sending") {
      box.append(" since " + LB.fmt(row.sending_started_at));
    } else if (["failed", "dead"].includes(row.status)) {
      box.append(" · " + (row.last_error_class || "error") + ": " + (row.last_error || "no detail") + " · attempts " + row.attempts);
    } else if (row.status === "cancelled" && row.rejected_reason) {
      box.append(" · " + row.rejected_reason);
    }
    return box;
  }

  /* A reply that may have gone out: the read-back's verdict, the candidate messages, and the
     person's two ways out (it was sent: this one; it was not: send it now). Never a blind resend. */
  function unknownBox(row) {
    const ev = row.outcome_evidence || {};
    const button = (text, cls, handler) => {
      const b = LB.el("button", { type: "button", class: cls, text: text });
      b.addEventListener("click", handler);
      return b;
    };
    const box = LB.el("div", { class: "unknown" },
      LB.el("p", { class: "warn", text: "Not known whether this reply reached the platform: " + (ev.reason || "no confirmation") }));
    const list = LB.el("ul", { class: "plain" });
    for (const c of ev.candidates || []) {
      list.append(LB.el("li", {},
        LB.el("span", { class: "muted", text: LB.fmt(c.sent_at) + " · match: " + c.match + " · " }),
        LB.el("span", { text: c.body }), " ",
        button("This is our reply", "btn", () => resolve(row, true, c.ref))));
    }
    if (!(ev.candidates || []).length) list.append(LB.el("li", { class: "empty", text: "No candidate message was read back." }));
    box.append(list,
      button("It was sent (no message above)", "btn", () => resolve(row, true, "")),
      button("It was not sent: send it now", "btn primary", () => {
        if (window.confirm("Send this reply to " + (conv.renter_name || "the renter") + " now? Check the thread on the platform first.")) resolve(row, false, "");
      }));
    return box;
  }

  function resolve(row, sent, ref) {
    return act("Not resolved", async () => {
      await LB.api("outbound/" + row.id + "/resolve/", { method: "POST", body: { sent: sent, message_ref: ref } });
      return (sent ? "Recorded as sent" : "Queued to send") + " for " + who();
    });
  }

  function renderOutbound(rows) {
    const list = LB.clear($("c-outbound"));
    if (!rows.length) list.append(LB.el("li", { class: "empty", text: "No replies yet." }));
    for (const row of rows) {
      const who = row.source === "agent" ? "Agent reply by " + (row.created_by || "?") : "Bot " + row.purpose;
      const li = LB.el("li", { class: "ob", "data-id": row.id },
        LB.el("div", { class: "ob-head" }, LB.el("span", { text: who }), LB.el("span", { class: "muted", text: " · created " + LB.fmt(row.created_at) })),
        LB.el("p", { class: "ob-body", text: row.body }),
        statusNode(row),
      );
      if (row.status === "unknown") li.append(unknownBox(row));
      if (row.approved_by) {
        li.append(LB.el("div", { class: "muted", text: "Approved by " + row.approved_by + " " + LB.fmt(row.approved_at) + (row.hold_to_answer_seconds !== null ? " · hold to answer " + LB.duration(row.hold_to_answer_seconds) : "") }));
      }
      list.append(li);
    }
  }

  function renderThread(messages) {
    const list = LB.clear($("c-thread"));
    if (!messages.length) list.append(LB.el("li", { class: "empty", text: "No messages." }));
    for (const m of messages) {
      list.append(
        LB.el("li", { class: "msg " + (m.direction === "in" ? "in" : "out") },
          LB.el("div", { class: "msg-head" }, LB.el("strong", { text: m.sender_name || (m.direction === "in" ? "Renter" : "Us") }), LB.el("span", { class: "muted", text: " " + LB.fmt(m.sent_at) })),
          LB.el("p", { class: "msg-body", text: m.body }),
        ),
      );
    }
  }

  function renderSide(force) {
    const unit = LB.clear($("c-unit"));
    if (conv.linked_unit) {
      unit.append(LB.el("div", { text: conv.linked_unit.listing_title + " / " + conv.linked_unit.name }), LB.el("div", { class: "muted", text: conv.linked_unit.address + " · " + conv.linked_unit.timezone }));
    } else {
      unit.append(LB.el("div", { class: "warn", text: "Not linked to a unit (" + conv.linkage_status + ")" + (conv.listing_ref_seen ? ": " + conv.listing_ref_seen : "") }));
    }
    const dec = LB.clear($("c-decision"));
    const d = conv.decisions[0];
    if (!d) dec.append(LB.el("div", { class: "empty", text: "No decision yet." }));
    else {
      dec.append(
        LB.el("div", { text: "Intent: " + d.intent + " (confidence " + Math.round(d.confidence * 100) + "%, " + d.engine + ")" }),
        LB.el("div", { text: "Outcome: " + d.workflow_outcome + " · showing " + d.showing_state + " · follow-up " + d.follow_up_stage }),
      );
      if (d.reason_codes.length) dec.append(LB.el("div", { class: "reasons", text: "Why a human: " + d.reason_codes.join(", ") }));
      if (d.risk_flags.length) dec.append(LB.el("div", { class: "warn", text: "Risk: " + d.risk_flags.join(", ") }));
      if (d.engine_detail) dec.append(LB.el("div", { class: "muted", text: d.engine_detail }));
    }
    if (conv.human_required) dec.append(LB.el("div", { class: "warn", text: "Needs a human: " + (conv.human_reason || "escalated") + " · waiting " + LB.since(conv.human_required_since) }));
    const slots = LB.clear($("c-slots"));
    if (!conv.offered_slots.length) slots.append(LB.el("li", { class: "empty", text: "None offered." }));
    for (const s of conv.offered_slots) {
      const src = s.source ? Object.entries(s.source).map(([k, v]) => k + " " + JSON.stringify(v)).join(", ") : "";
      slots.append(LB.el("li", {}, LB.el("span", { text: s.starts_at ? LB.fmtRenter(s.starts_at, conv.account_time_zone) : s.label }), LB.el("span", { class: "muted", text: src ? " · from " + src : "" })));
    }
    renderLead(force);
    const notes = LB.clear($("c-notes"));
    if (!conv.notes.length) notes.append(LB.el("li", { class: "empty", text: "No notes." }));
    for (const n of conv.notes) notes.append(LB.el("li", {}, LB.el("p", { text: n.body }), LB.el("span", { class: "muted", text: (n.author || "?") + " · " + LB.fmt(n.created_at) })));
  }

  const LEAD_LABELS = {
    move_in: "Move-in", move_in_date: "Move-in", budget: "Budget", occupants: "Occupants", pets: "Pets",
    lease_months: "Lease length (months)", work: "Work", name: "Name",
  };
  /* The answers the qualification form edits (the rest of the profile is shown as facts). */
  const QUAL_KEYS = ["move_in_date", "budget", "occupants", "pets", "lease_months"];
  const NUMBER_KEYS = ["budget", "occupants", "lease_months"];
  const HIDDEN_KEYS = ["qualification_asked"];
  const qualFilled = {}; /* What the form last showed per key: an input still equal to it is not being edited. */
  const qualSeen = {}; /* The stored answer when the form last showed it: sent back, so a change since is a 409. */

  function qualInput(key) { return $("q-" + key); }
  function qualShown(value) { return value === null || value === undefined ? "" : String(value); }

  /* Fill the form from the profile, keeping what the agent is typing unless `force`. */
  function renderQualification(force) {
    const profile = conv.lead_profile || {};
    for (const key of QUAL_KEYS) {
      const input = qualInput(key);
      const value = qualShown(profile[key]);
      if (!force && qualFilled[key] !== undefined && input.value !== qualFilled[key]) continue; /* Being edited. */
      input.value = value;
      qualFilled[key] = input.value; /* A date input shows "" for what is not a date: compare with what it shows. */
      qualSeen[key] = profile[key] === undefined ? null : profile[key];
    }
  }

  /* The answers the agent changed, typed as the API takes them, and what the page saw for each. */
  function qualChanges() {
    const changes = {};
    const seen = {};
    for (const key of QUAL_KEYS) {
      const raw = qualInput(key).value.trim();
      if (qualFilled[key] === undefined || raw === qualFilled[key].trim()) continue;
      changes[key] = raw === "" ? null : NUMBER_KEYS.includes(key) ? Number(raw) : raw;
      if (qualSeen[key] !== null && qualSeen[key] !== undefined) seen[key] = qualSeen[key];
    }
    return { changes: changes, seen: seen };
  }

  function renderFollowUps() {
    const box = LB.clear($("c-followups"));
    const zone = conv.account_time_zone;
    const stage = conv.follow_up_stage;
    const toggle = $("c-followups-toggle");
    toggle.hidden = false;
    if (conv.follow_ups_paused_at) {
      box.dataset.state = "paused";
      box.append(LB.el("div", { class: "warn", text: "Paused by " + (conv.follow_ups_paused_by || "someone") + " since " + LB.fmt(conv.follow_ups_paused_at) }));
      if (conv.next_follow_up_at) box.append(LB.el("div", { class: "muted", text: "Next follow-up when resumed: " + LB.fmtRenter(conv.next_follow_up_at, zone) }));
      toggle.textContent = "Resume follow-ups";
    } else {
      box.dataset.state = conv.next_follow_up_at ? "scheduled" : "none";
      if (conv.next_follow_up_at) box.append(LB.el("div", { text: "Next follow-up: " + LB.fmtRenter(conv.next_follow_up_at, zone) }));
      else box.append(LB.el("div", { class: "muted", text: stage === "stopped" ? "Follow-ups stopped." : "No follow-up scheduled." }));
      toggle.textContent = "Pause follow-ups";
    }
    box.append(LB.el("div", { class: "muted", text: "Stage: " + stage }));
  }

  const SHOWING_WORDS = { booked: "Booked", cancelled: "Cancelled", completed: "Completed", no_show: "No-show" };

  function showingButton(text, cls, handler) {
    const b = LB.el("button", { type: "button", class: "btn " + cls, text: text });
    b.addEventListener("click", handler);
    return b;
  }

  function renderShowings() {
    const list = LB.clear($("c-showings"));
    const zone = conv.account_time_zone;
    if (!conv.showings.length) list.append(LB.el("li", { class: "empty", text: "None booked." }));
    for (const s of conv.showings) {
      let state = SHOWING_WORDS[s.status] || s.status;
      if (s.status === "cancelled" && s.cancel_reason) state += " (" + s.cancel_reason + ")";
      if (s.status === "completed" || s.status === "no_show") state += " · marked " + LB.fmt(s.outcome_at) + " by " + (s.outcome_by || "?");
      const li = LB.el("li", { "data-showing": s.id, "data-status": s.status },
        LB.el("span", { class: "s-when", text: LB.fmtRenter(s.starts_at, zone) }),
        LB.el("span", { text: " with " + (s.agent || "?") + " · " }),
        LB.el("strong", { class: "s-status", text: state }));
      if (s.status === "booked") {
        const started = new Date(s.starts_at).getTime() <= Date.now();
        const row = LB.el("div", { class: "s-actions" });
        row.append(showingButton("Reschedule", "s-reschedule", () => rescheduleShowing(s)), showingButton("Cancel", "danger s-cancel", () => cancelShowing(s)));
        if (started) row.append(showingButton("Mark completed", "s-completed", () => markShowing(s, "completed")), showingButton("Mark no-show", "s-no-show", () => markShowing(s, "no_show")));
        else row.append(LB.el("span", { class: "hint", text: "Completed / no-show once it has started." }));
        li.append(row);
      }
      list.append(li);
    }
    const booked = conv.showings.some((s) => s.status === "booked");
    $("c-book").hidden = booked;
    $("c-book-hint").textContent = booked ? "To move the booked showing, pick a free time here, then Reschedule on it." : "";
  }

  let slotOptions = [];
  async function loadSlots() {
    const sel = $("c-slot-pick");
    const keep = sel.value;
    LB.clear(sel);
    if (!conv.unit) {
      sel.append(LB.el("option", { value: "", text: "Link a unit to see its free times" }));
      sel.disabled = true;
      slotOptions = [];
      return;
    }
    try {
      slotOptions = (await LB.api("conversations/" + id + "/slots/")).data;
    } catch (e) {
      sel.append(LB.el("option", { value: "", text: "Free times unavailable" }));
      LB.toast("Could not load the free times for " + who() + ": " + e.message, "error");
      return;
    }
    sel.disabled = false;
    sel.append(LB.el("option", { value: "", text: slotOptions.length ? "Choose a time…" : "No free time in the next two weeks" }));
    slotOptions.forEach((o, i) => {
      sel.append(LB.el("option", { value: String(i), text: LB.fmtRenter(o.starts_at, o.timezone) + " · " + o.agent_name + (o.offered ? " · offered to the renter" : "") }));
    });
    if (keep && slotOptions[Number(keep)]) sel.value = keep;
  }

  function pickedSlot(label) {
    const value = $("c-slot-pick").value;
    const slot = value === "" ? null : slotOptions[Number(value)];
    if (!slot) {
      LB.toast(label + " (" + who() + "): choose a free time in the list first.", "error");
      $("c-slot-pick").focus();
    }
    return slot;
  }

  /* A lead-panel action: on a conflict (409) the page reloads the conversation and its free
     times, and says what the server found, so no button stays live on a stale showing. */
  async function leadAct(label, fn) {
    try {
      const msg = await fn();
      if (msg) LB.toast(msg);
      notice("");
      await load(true);
      await loadSlots();
    } catch (e) {
      if (e.status === 409) {
        await load(true, label === "Not saved"); /* A refused edit shows the stored answers again. */
        await loadSlots();
        const text = label + " (" + who() + "): someone else acted first or the time was taken — " + e.message + ". The page now shows it as it is.";
        notice(text);
        LB.toast(text, "error");
        return;
      }
      LB.toast(label + " (" + who() + "): " + e.message, "error");
    }
  }

  function slotBody(slot) { return { starts_at: slot.starts_at, agent: slot.agent }; }

  /* After a booking, a move or a cancellation, the server suggests a message for the renter. It
     goes into the reply box only when the box is empty (an agent's unsaved text is never
     overwritten: the notice then offers Insert); nothing is sent until the agent presses Send. */
  let suggested = null;
  function hideSuggestion() {
    suggested = null;
    $("reply-suggest").hidden = true;
  }
  function offerSuggestion(row, what) {
    const box = $("reply-text");
    const reply = row.suggested_reply;
    const note = row.suggested_reply_note ? " " + row.suggested_reply_note : "";
    const body = $("reply-suggest-body");
    suggested = null;
    body.hidden = true;
    $("reply-suggest-insert").hidden = true;
    let text;
    if (!reply) {
      text = "Nothing is suggested to tell " + who() + " about the " + what + "." + note;
    } else if (!box.value.trim()) {
      box.value = reply.text;
      checkText(box.value, $("reply-flags"));
      text = "A message telling " + who() + " about the " + what + " is in your reply box: read it, then press Send reply. Nothing is sent until you do." + note;
    } else {
      suggested = reply.text;
      body.textContent = reply.text;
      body.hidden = false;
      $("reply-suggest-insert").hidden = false;
      text = "Your reply box already has text, so it was left as it is. A message telling " + who() + " about the " + what + " is ready: Insert adds it after your text." + note;
    }
    $("reply-suggest-text").textContent = text;
    $("reply-suggest").hidden = false;
  }
  $("reply-suggest-insert").addEventListener("click", () => {
    if (suggested === null) return;
    const box = $("reply-text");
    box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + suggested : suggested;
    checkText(box.value, $("reply-flags"));
    hideSuggestion();
    box.focus();
  });
  $("reply-suggest-dismiss").addEventListener("click", hideSuggestion);

  function bookShowing() {
    const slot = pickedSlot("Not booked");
    if (!slot) return undefined;
    return leadAct("Not booked", async () => {
      const row = (await LB.api("conversations/" + id + "/book-showing/", { method: "POST", body: slotBody(slot) })).data;
      $("c-slot-pick").value = "";
      offerSuggestion(row, "booking");
      return "Booked a showing for " + who() + ": " + LB.fmtRenter(row.starts_at, conv.account_time_zone) + " with " + row.agent;
    });
  }

  function rescheduleShowing(s) {
    const slot = pickedSlot("Not rescheduled");
    if (!slot) return undefined;
    return leadAct("Not rescheduled", async () => {
      const body = Object.assign({ showing: s.id }, slotBody(slot));
      const row = (await LB.api("conversations/" + id + "/reschedule-showing/", { method: "POST", body: body })).data;
      $("c-slot-pick").value = "";
      offerSuggestion(row, "new time");
      return "Rescheduled " + who() + "'s showing to " + LB.fmtRenter(row.starts_at, conv.account_time_zone);
    });
  }

  async function cancelShowing(s) {
    const answer = await LB.confirm("Cancel this showing?", "Cancel " + who() + "'s showing on " + LB.fmtRenter(s.starts_at, conv.account_time_zone) + "? A message telling the renter is then suggested in your reply box; nothing is sent until you press Send reply.", true);
    if (!answer.ok) return undefined;
    return leadAct("Not cancelled", async () => {
      const row = (await LB.api("conversations/" + id + "/cancel-showing/", { method: "POST", body: { showing: s.id, reason: answer.reason } })).data;
      offerSuggestion(row, "cancellation");
      return "Cancelled " + who() + "'s showing on " + LB.fmtRenter(s.starts_at, conv.account_time_zone);
    });
  }

  function markShowing(s, outcome) {
    const label = outcome === "completed" ? "Not marked completed" : "Not marked no-show";
    return leadAct(label, async () => {
      await LB.api("conversations/" + id + "/showing-outcome/", { method: "POST", body: { showing: s.id, outcome: outcome } });
      return outcome === "completed"
        ? "Marked " + who() + "'s showing completed: the application link follows"
        : "Marked " + who() + " a no-show: new times follow";
    });
  }

  function renderLead(force) {
    const facts = LB.clear($("c-lead-facts"));
    const add = (k, v) => facts.append(LB.el("dt", { text: k }), LB.el("dd", { text: v }));
    add("Handle", conv.renter_handle || "—");
    const profile = conv.lead_profile || {};
    for (const k of Object.keys(profile)) {
      if (QUAL_KEYS.includes(k) || HIDDEN_KEYS.includes(k)) continue;
      add(LEAD_LABELS[k] || k.replace(/_/g, " "), typeof profile[k] === "object" ? JSON.stringify(profile[k]) : String(profile[k]));
    }
    renderQualification(force);
    renderFollowUps();
    renderShowings();
    const other = LB.clear($("c-other"));
    if (!conv.other_threads.length) other.append(LB.el("li", { class: "empty", text: "None on this platform." }));
    for (const t of conv.other_threads) {
      other.append(LB.el("li", {},
        LB.el("a", { href: "/review/conversations/" + t.id + "/", text: (t.listing_title ? t.listing_title + " / " : "") + (t.unit_name || "no unit") }),
        LB.el("span", { class: "muted", text: " · " + t.account_label + " · " + t.status + " · " + t.workflow_outcome + " · last message " + LB.fmt(t.last_inbound_at) })));
    }
    const history = LB.clear($("c-history"));
    if (!conv.history.length) history.append(LB.el("li", { class: "empty", text: "No changes recorded." }));
    for (const h of conv.history) {
      history.append(LB.el("li", {},
        LB.el("span", { text: h.action.replace("conversation.", "") + " by " + h.actor_label }),
        LB.el("span", { class: "muted", text: " · " + LB.fmt(h.created_at) + (h.reason ? " · " + h.reason : "") })));
    }
  }

  $("q-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const edit = qualChanges();
    const keys = Object.keys(edit.changes);
    if (!keys.length) {
      LB.toast("Nothing to save for " + who() + ": the qualification is as shown.");
      return undefined;
    }
    const bad = keys.find((k) => NUMBER_KEYS.includes(k) && edit.changes[k] !== null && !Number.isInteger(edit.changes[k]));
    if (bad) {
      LB.toast("Not saved (" + who() + "): " + (LEAD_LABELS[bad] || bad) + " must be a whole number.", "error");
      qualInput(bad).focus();
      return undefined;
    }
    return leadAct("Not saved", async () => {
      await LB.api("conversations/" + id + "/qualification/", { method: "POST", body: edit });
      for (const k of keys) { qualInput(k).value = qualInput(k).value.trim(); qualFilled[k] = qualInput(k).value; }
      return "Qualification of " + who() + " saved (" + keys.map((k) => (LEAD_LABELS[k] || k).toLowerCase()).join(", ") + ")";
    });
  });
  $("c-followups-toggle").addEventListener("click", () => {
    const pause = !conv.follow_ups_paused_at;
    return leadAct(pause ? "Not paused" : "Not resumed", async () => {
      await LB.api("conversations/" + id + "/follow-ups/", { method: "POST", body: { paused: pause } });
      return pause ? "Follow-ups paused for " + who() + ": the bot sends none until you resume" : "Follow-ups resumed for " + who();
    });
  });
  $("c-book").addEventListener("click", bookShowing);

  async function loadUnits() {
    const sel = $("c-unit-pick");
    try {
      const units = (await LB.api("conversations/" + id + "/units/")).data;
      for (const u of units) sel.append(LB.el("option", { value: u.id, text: u.listing_title + " / " + u.name }));
      if (conv.unit) sel.append(LB.el("option", { value: "none", text: "Unlink (no unit)" }));
    } catch (e) {
      LB.toast("Could not load the units: " + e.message, "error");
    }
  }

  const STATUS_WORDS = { open: "Open", resolved: "Resolved", snoozed: "Snoozed" };

  function renderHead() {
    $("c-title").textContent = conv.renter_name || "Conversation " + conv.id;
    const meta = LB.clear($("c-meta"));
    meta.append(
      LB.el("span", { text: conv.platform + " / " + conv.account_label }),
      LB.el("span", { text: " · " + conv.workflow_outcome }),
      LB.el("span", { text: conv.taken_over_by ? " · taken over by " + conv.taken_over_by + " (the bot stays silent)" : " · bot active" }),
    );
    $("c-takeover").textContent = conv.taken_over_by ? "Hand back to the bot" : "Take over";
    $("c-actions").hidden = false; /* No action before the page knows whose conversation this is. */
    const pill = $("c-status");
    pill.textContent = (STATUS_WORDS[conv.status] || conv.status) + (conv.status === "snoozed" ? " until " + LB.fmt(conv.snoozed_until) : "") + (conv.status !== "open" && conv.status_changed_by ? " by " + conv.status_changed_by : "");
    pill.className = "pill " + (conv.status === "open" ? "ok" : conv.status === "snoozed" ? "warn" : "off");
    pill.dataset.status = conv.status;
    $("c-resolve").hidden = conv.status === "resolved";
    $("c-snooze").parentElement.hidden = conv.status === "resolved";
    $("c-reopen").hidden = conv.status === "open";
  }

  function renderDraft() {
    draft = [...conv.outbound].reverse().find((o) => REVIEWABLE.includes(o.status)) || null;
    $("draft-box").hidden = !draft;
    $("draft-empty").hidden = !!draft;
    if (!draft) return;
    const text = $("draft-text");
    if (text.dataset.draftId !== String(draft.id)) {
      text.value = draft.body;
      text.dataset.draftId = String(draft.id);
    }
    const reasons = LB.clear($("draft-reasons"));
    reasons.append(LB.el("span", { text: (LB.STATUS_TEXT[draft.status] || draft.status) + (draft.reasons.length ? ": " : "") }));
    for (const r of draft.reasons) reasons.append(LB.el("span", { class: "chip " + r.kind, text: r.code + (r.text !== r.code ? " — " + r.text : "") }));
    checkText(text.value, $("draft-flags"));
  }

  async function loadAgents() {
    const sel = LB.clear($("c-assign"));
    sel.append(LB.el("option", { value: "", text: "Default" + (conv.default_agent ? " (" + conv.default_agent + ")" : " (unit's primary agent)") }));
    try {
      const agents = (await LB.api("conversations/" + id + "/agents/")).data;
      for (const a of agents) sel.append(LB.el("option", { value: a.id, text: a.username }));
      const current = agents.find((a) => a.username === conv.assigned_agent);
      sel.value = current ? String(current.id) : "";
    } catch (e) {
      LB.toast("Could not load agents: " + e.message, "error");
    }
  }

  /* Canned replies: "/" at the start of a line in the draft or reply editor (or "/" anywhere
     else on the page) opens the picker; the chosen text goes in at the cursor of the editor the
     agent was in (the reply editor by default), replacing the "/" typed to open it. */
  let canned = [];
  let cannedLoaded = false;
  let cannedTarget = null;
  let cannedSlash = false;
  let cannedAt = 0;

  async function loadCanned() {
    try {
      canned = (await LB.api("canned-replies/?account=" + conv.account)).data;
    } catch (e) {
      LB.toast("Could not load canned replies: " + e.message, "error");
    }
    cannedLoaded = true;
    if (!$("canned-picker").hidden) renderCanned();
  }

  function cannedMatches() {
    const f = $("canned-filter").value.trim().toLowerCase();
    return canned.filter((r) => !f || r.title.toLowerCase().includes(f) || r.body.toLowerCase().includes(f));
  }

  function renderCanned() {
    const list = LB.clear($("canned-list"));
    const rows = cannedMatches();
    cannedAt = Math.max(0, Math.min(cannedAt, rows.length - 1));
    if (!cannedLoaded) { list.append(LB.el("li", { class: "empty", text: "Loading canned replies…" })); return; }
    if (!rows.length) list.append(LB.el("li", { class: "empty", text: canned.length ? "No canned reply matches." : "No canned replies for this account yet (admins add them in Settings)." }));
    rows.forEach((r, i) => {
      const li = LB.el("li", { role: "option", "aria-selected": String(i === cannedAt), "data-canned": r.id },
        LB.el("strong", { text: r.title }), LB.el("span", { class: "muted", text: r.body }));
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); insertCanned(r); });
      list.append(li);
    });
  }

  function openCanned(target, slash) {
    cannedTarget = target || $("reply-text");
    cannedSlash = !!slash;
    cannedAt = 0;
    $("canned-filter").value = "";
    $("canned-picker").hidden = false;
    renderCanned();
    $("canned-filter").focus();
  }

  function closeCanned(refocus) {
    $("canned-picker").hidden = true;
    if (refocus && cannedTarget) cannedTarget.focus();
  }

  function insertCanned(r) {
    const box = cannedTarget || $("reply-text");
    let start = box.selectionStart === undefined ? box.value.length : box.selectionStart;
    const end = box.selectionEnd === undefined ? start : box.selectionEnd;
    if (cannedSlash && box.value[start - 1] === "/") start -= 1;
    box.value = box.value.slice(0, start) + r.body + box.value.slice(end);
    const caret = start + r.body.length;
    closeCanned(false);
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input"));
    LB.toast("Inserted “" + r.title + "” for " + who());
  }

  $("canned-open").addEventListener("click", () => openCanned($("reply-text"), false));
  $("canned-filter").addEventListener("input", () => { cannedAt = 0; renderCanned(); });
  $("canned-filter").addEventListener("keydown", (ev) => {
    const rows = cannedMatches();
    if (ev.key === "ArrowDown") { cannedAt = Math.min(rows.length - 1, cannedAt + 1); renderCanned(); }
    else if (ev.key === "ArrowUp") { cannedAt = Math.max(0, cannedAt - 1); renderCanned(); }
    else if (ev.key === "Enter") { if (rows[cannedAt]) insertCanned(rows[cannedAt]); }
    else if (ev.key === "Escape") closeCanned(true);
    else return;
    ev.preventDefault();
  });
  $("canned-filter").addEventListener("blur", () => setTimeout(() => { if (document.activeElement !== $("canned-filter")) closeCanned(false); }, 150));
  for (const editor of ["reply-text", "draft-text"]) {
    $(editor).addEventListener("keyup", (ev) => {
      if (ev.key !== "/") return;
      const box = ev.target;
      const before = box.value.slice(0, box.selectionStart - 1);
      if (before === "" || before.endsWith("\n")) openCanned(box, true);
    });
  }

  let checkSeq = 0;
  async function checkText(text, node) {
    const mine = ++checkSeq;
    if (!text.trim()) { LB.clear(node); return; }
    try {
      const verdict = (await LB.api("guardrails/check/", { method: "POST", body: { text: text, conversation: id } })).data;
      if (mine !== checkSeq) return;
      LB.clear(node);
      node.className = "flags " + (verdict.ok ? "ok" : "bad");
      if (verdict.ok) node.append(LB.el("span", { text: "Guardrails: clear" }));
      for (const f of verdict.flags) node.append(LB.el("div", { class: "flag" }, LB.el("strong", { text: f.category }), " " + f.reason + " ", LB.el("q", { text: f.excerpt })));
    } catch (e) {
      LB.clear(node).append(LB.el("span", { class: "muted", text: "Guardrail check unavailable: " + e.message }));
    }
  }
  function debounce(fn, ms) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    if (conv && conv.outbound.some((o) => MOVING.includes(o.status))) pollTimer = setTimeout(pollStatus, 2000);
  }

  async function pollStatus() {
    try {
      const data = (await LB.api("outbound/?conversation=" + id)).data;
      const rows = data.results.slice().reverse();
      const before = new Map(conv.outbound.map((o) => [o.id, o.status]));
      const changed = rows.filter((o) => before.get(o.id) !== o.status);
      if (changed.length) {
        for (const r of changed) if (r.status === "sent") LB.toast("Sent to " + who() + ": platform message id " + r.platform_message_ref);
        for (const r of changed) if (r.status === "dead") LB.toast("Reply to " + who() + " failed for good: " + (r.last_error || r.last_error_class), "error");
        await load(true); /* The thread, the draft and the badge follow the new status. */
        return;
      }
    } catch (e) {
      /* A missed poll is retried on the next tick. */
    }
    schedulePoll();
  }

  async function load(quiet, force) {
    if (!quiet) LB.state($("c-state"), "loading", "Loading the conversation…");
    try {
      conv = (await LB.api("conversations/" + id + "/")).data;
    } catch (e) {
      LB.state($("c-state"), "error", e.status === 404 ? "This conversation does not exist or is not yours." : "Could not load: " + e.message, e.status === 404 ? null : () => load());
      return;
    }
    LB.state($("c-state"), "", "");
    $("c-body").hidden = false;
    renderHead();
    renderThread(conv.messages);
    renderOutbound(conv.outbound);
    renderSide(force);
    renderDraft();
    schedulePoll();
  }

  function who() { return LB.renter(conv && conv.renter_name, id); }

  /* What became of a reply someone else acted on, in words, from the reloaded row. */
  function fateText(row) {
    if (!row) return "it is gone";
    const status = (LB.STATUS_TEXT[row.status] || row.status).toLowerCase();
    if (row.status === "cancelled") return "it was cancelled" + (row.rejected_reason ? ": " + row.rejected_reason : "");
    if (row.approved_by) return "it was already approved by " + row.approved_by + " and is now " + status;
    return "it is now " + status;
  }

  function notice(text) {
    const node = $("c-notice");
    node.textContent = text;
    node.hidden = !text;
  }

  /* Run one action; on a conflict (409) reload the item as it now is and say what happened,
     so no button stays live on a draft someone else has already handled. */
  async function act(label, fn, target) {
    try {
      const msg = await fn();
      if (msg) LB.toast(msg);
      notice("");
      await load(true);
      LB.refreshBadge();
    } catch (e) {
      if (e.status === 409 && target) {
        await load(true);
        LB.refreshBadge();
        const row = conv && conv.outbound.find((o) => o.id === target.id);
        const text = label + " (" + who() + "): someone else acted first — " + fateText(row) + ". The page now shows it as it is.";
        notice(text);
        LB.toast(text, "error");
        return;
      }
      LB.toast(label + " (" + who() + "): " + e.message, "error");
    }
  }

  $("draft-text").addEventListener("input", debounce(() => checkText($("draft-text").value, $("draft-flags")), 300));
  $("reply-text").addEventListener("input", debounce(() => checkText($("reply-text").value, $("reply-flags")), 300));
  $("draft-save").addEventListener("click", () => {
    const target = draft;
    return act("Not saved", async () => {
      await LB.api("outbound/" + target.id + "/", { method: "PATCH", body: { body: $("draft-text").value } });
      return "Draft for " + who() + " saved";
    }, target);
  });
  /* Approve the draft on show, with the text as it is now: the request waits out the undo window
     (LB.later, as in the queue) and names this draft's id, so a reload or another agent in the
     meantime cannot make it approve anything else. */
  function approvingButtons(on) {
    $("draft-approve").disabled = on;
    $("draft-approve").firstChild.textContent = on ? "Approving… " : "Approve and send ";
  }
  const approve = () => {
    const target = draft;
    if (!target) {
      LB.toast("Not approved (" + who() + "): there is no draft to approve here.", "error");
      return;
    }
    const body = { body: $("draft-text").value };
    const path = "outbound/" + target.id + "/approve/";
    const held = LB.later("approve-" + target.id, {
      text: "Approving the reply to " + who() + " in " + LB.undoSeconds + " s.",
      undone: "Undone: the reply to " + who() + " was not approved and nothing was sent.",
      path: path,
      body: body,
      onUndo: () => approvingButtons(false),
      run: () => act("Not approved", async () => {
        approvingButtons(false);
        const row = (await LB.api(path, { method: "POST", body: body })).data;
        return "Approved the reply to " + who() + " — " + (LB.STATUS_TEXT[row.status] || row.status);
      }, target),
    });
    if (held) approvingButtons(true);
  };
  $("draft-approve").addEventListener("click", approve);
  $("draft-reject").addEventListener("click", () => {
    const target = draft;
    const reason = $("draft-reject-reason").value.trim();
    if (!reason) {
      LB.toast("Not rejected (" + who() + "): write why you reject the draft in the reason box first.", "error");
      $("draft-reject-reason").focus();
      return undefined;
    }
    return act("Not rejected", async () => {
      await LB.api("outbound/" + target.id + "/reject/", { method: "POST", body: { reason: reason } });
      $("draft-reject-reason").value = "";
      return "Rejected the draft for " + who();
    }, target);
  });
  $("reply-send").addEventListener("click", () => act("Not sent", async () => {
    const text = $("reply-text").value;
    if (replyKeyText !== text) { replyKey = newKey(); replyKeyText = text; }
    const res = await LB.api("conversations/" + id + "/reply/", { method: "POST", body: { body: text }, headers: { "Idempotency-Key": replyKey } });
    $("reply-text").value = "";
    LB.clear($("reply-flags"));
    replyKeyText = null;
    hideSuggestion();
    return "Reply to " + who() + (res.status === 201 ? " " : " already ") + (LB.STATUS_TEXT[res.data.status] || res.data.status).toLowerCase();
  }));
  $("c-takeover").addEventListener("click", () => act("Not changed", async () => {
    if (!conv) throw new Error("the conversation has not loaded yet; try again in a moment");
    const path = conv.taken_over_by ? "hand-back/" : "take-over/";
    await LB.api("conversations/" + id + "/" + path, { method: "POST" });
    return conv.taken_over_by ? "Handed " + who() + " back to the bot" : "You took over " + who() + ": the bot stays silent here";
  }));
  $("c-assign").addEventListener("change", () => act("Not assigned", async () => {
    const value = $("c-assign").value;
    const row = (await LB.api("conversations/" + id + "/assign/", { method: "POST", body: { agent: value ? Number(value) : null } })).data;
    return who() + " assigned to " + (row.assigned_agent || "the default agent");
  }));
  $("note-add").addEventListener("click", () => act("Note not added", async () => {
    await LB.api("conversations/" + id + "/notes/", { method: "POST", body: { body: $("note-text").value } });
    $("note-text").value = "";
    return "Note added to " + who();
  }));

  $("c-resolve").addEventListener("click", () => act("Not resolved", async () => {
    await LB.api("conversations/" + id + "/resolve/", { method: "POST", body: {} });
    return "Resolved " + who() + ": it comes back when the renter writes";
  }));
  $("c-reopen").addEventListener("click", () => act("Not reopened", async () => {
    await LB.api("conversations/" + id + "/reopen/", { method: "POST", body: {} });
    return "Reopened " + who();
  }));
  const SNOOZE_MS = { "1h": 3600e3, "4h": 4 * 3600e3, "1d": 86400e3, "3d": 3 * 86400e3, "7d": 7 * 86400e3 };
  function snooze(until) {
    return act("Not snoozed", async () => {
      const row = (await LB.api("conversations/" + id + "/snooze/", { method: "POST", body: { until: until.toISOString() } })).data;
      return "Snoozed " + who() + " until " + LB.fmt(row.snoozed_until) + " (or until the renter writes)";
    });
  }
  $("c-snooze").addEventListener("change", () => {
    const value = $("c-snooze").value;
    $("c-snooze-custom").hidden = value !== "custom";
    if (SNOOZE_MS[value]) {
      $("c-snooze").value = "";
      snooze(new Date(Date.now() + SNOOZE_MS[value]));
    }
  });
  $("c-snooze-go").addEventListener("click", () => {
    const raw = $("c-snooze-at").value;
    const at = raw ? new Date(raw) : null;
    if (!at || isNaN(at.getTime())) {
      LB.toast("Not snoozed (" + who() + "): choose the date and time first.", "error");
      return undefined;
    }
    $("c-snooze").value = "";
    $("c-snooze-custom").hidden = true;
    return snooze(at);
  });
  $("c-unit-link").addEventListener("click", () => {
    const value = $("c-unit-pick").value;
    if (!value) {
      LB.toast("Not linked (" + who() + "): choose a unit first.", "error");
      return undefined;
    }
    return act("Not linked", async () => {
      const row = (await LB.api("conversations/" + id + "/link-unit/", { method: "POST", body: { unit: value === "none" ? null : Number(value) } })).data;
      return row.unit_name ? who() + " linked to " + (row.listing_title ? row.listing_title + " / " : "") + row.unit_name : who() + " unlinked from its unit";
    }).then(loadSlots); /* The free times are the unit's. */
  });

  /* Unsaved work on this page: an edited draft, a reply or a note not yet sent. */
  function unsaved() {
    const parts = [];
    if (draft && $("draft-text").value !== draft.body) parts.push("the draft edit");
    if ($("reply-text").value.trim()) parts.push("your reply");
    if ($("note-text").value.trim()) parts.push("your note");
    if (conv && Object.keys(qualChanges().changes).length) parts.push("the qualification");
    return parts;
  }

  async function neighbour(delta) {
    const lost = unsaved();
    if (lost.length) {
      const answer = await LB.confirm("Discard unsaved edits?", "You have not saved " + lost.join(", ") + " for " + who() + ". Leave this conversation and lose it?");
      if (!answer.ok) return;
    }
    let order = [];
    try { order = JSON.parse(sessionStorage.getItem("lb-queue") || "[]"); } catch (e) { order = []; }
    const at = order.indexOf(id);
    const next = order[at + delta];
    if (at >= 0 && next) location.href = "/review/conversations/" + next + "/";
    else LB.toast(delta > 0 ? "No next item in the queue" : "No previous item in the queue");
  }
  LB.onKey((ev) => {
    if (ev.key === "/") openCanned($("reply-text"), false);
    else if (ev.key === "a") approve();
    else if (ev.key === "u" && LB.heldKeys().length) LB.undo(LB.heldKeys().pop());
    else if (ev.key === "j") neighbour(1);
    else if (ev.key === "k") neighbour(-1);
    else return;
    ev.preventDefault();
  });

  LB.start(() => load()).then(() => { if (conv) { loadAgents(); loadCanned(); loadUnits(); loadSlots(); } });
})();

/* Admin settings: global send mode and rollout stage, platform and account switches, per-account
 * send mode and canary flag. Every change is confirmed first and audited on the server. */
(function () {
  "use strict";
  const LB = window.LB;
  const $ = (x) => document.getElementById(x);
  const MODES = [["", "Global default"], ["auto_send", "Auto send"], ["draft_only", "Draft only"]];

  async function change(what, text, path, body, revert) {
    const answer = await LB.confirm(what, text, true);
    if (!answer.ok) { revert(); return; }
    try {
      await LB.api(path, { method: "PATCH", body: Object.assign({ reason: answer.reason }, body) });
      LB.toast(what + ": saved and audited");
    } catch (e) {
      revert();
      LB.toast(what + " failed: " + e.message, "error");
    }
    await load(true);
  }

  function renderGlobal(s) {
    const mode = $("s-send-mode");
    mode.value = s.default_send_mode;
    mode.dataset.current = s.default_send_mode;
    $("s-stage").textContent = s.rollout_stage;
    $("s-global").hidden = false;
  }

  function renderPlatforms(platforms) {
    const body = LB.clear($("s-platform-rows"));
    for (const p of platforms) {
      const box = LB.el("input", { type: "checkbox", "aria-label": "Platform " + p.slug + " on", "data-platform": p.slug });
      box.checked = p.is_active;
      box.addEventListener("change", () => change(
        (box.checked ? "Switch on " : "Switch off ") + p.name,
        box.checked ? "Ingest and send resume on every account of this platform." : "Ingest and send stop on every account of this platform.",
        "platforms/" + p.id + "/", { is_active: box.checked }, () => { box.checked = !box.checked; },
      ));
      body.append(LB.el("tr", {}, LB.el("td", { text: p.name }), LB.el("td", {}, box)));
    }
    $("s-platforms").hidden = false;
  }

  function renderAccounts(accounts) {
    const body = LB.clear($("s-account-rows"));
    if (!accounts.length) body.append(LB.el("tr", {}, LB.el("td", { colspan: "5", class: "empty", text: "No accounts yet." })));
    for (const a of accounts) {
      const name = a.platform + " / " + a.label;
      const on = LB.el("input", { type: "checkbox", "aria-label": "Account " + name + " on", "data-account": a.id, "data-field": "is_active" });
      on.checked = a.is_active;
      on.addEventListener("change", () => change(
        (on.checked ? "Switch on " : "Switch off ") + name,
        on.checked ? "The bot reads and answers on this account again." : "The bot stops reading and sending on this account.",
        "platform-accounts/" + a.id + "/", { is_active: on.checked }, () => { on.checked = !on.checked; },
      ));
      const mode = LB.el("select", { "aria-label": "Send mode of " + name, "data-account": a.id, "data-field": "send_mode" });
      for (const [v, t] of MODES) mode.append(LB.el("option", { value: v, text: t }));
      mode.value = a.send_mode;
      mode.addEventListener("change", () => {
        const label = MODES.find((m) => m[0] === mode.value)[1];
        change("Send mode of " + name, "From now on: " + label + ".", "platform-accounts/" + a.id + "/", { send_mode: mode.value }, () => { mode.value = a.send_mode; });
      });
      const canary = LB.el("input", { type: "checkbox", "aria-label": "Canary " + name, "data-account": a.id, "data-field": "is_canary" });
      canary.checked = a.is_canary;
      canary.addEventListener("change", () => change(
        (canary.checked ? "Mark canary: " : "Unmark canary: ") + name, "Canary accounts auto-send during the canary stage.",
        "platform-accounts/" + a.id + "/", { is_canary: canary.checked }, () => { canary.checked = !canary.checked; },
      ));
      const why = a.disabled_reason || (a.platform_is_active ? "" : "platform switched off");
      body.append(LB.el("tr", { "data-account-row": a.id }, LB.el("td", { text: name }), LB.el("td", {}, on), LB.el("td", {}, mode), LB.el("td", {}, canary), LB.el("td", { class: "muted", text: why || "—" })));
    }
    $("s-accounts").hidden = false;
  }

  async function load(quiet) {
    if (!quiet) LB.state($("s-state"), "loading", "Loading settings…");
    try {
      const [s, platforms, accounts] = await Promise.all([LB.api("settings/"), LB.api("platforms/"), LB.api("platform-accounts/")]);
      renderGlobal(s.data);
      renderPlatforms(platforms.data);
      renderAccounts(accounts.data);
      LB.state($("s-state"), "", "");
    } catch (e) {
      LB.state($("s-state"), "error", "Could not load settings: " + e.message, () => load());
    }
  }

  $("s-send-mode").addEventListener("change", (ev) => {
    const sel = ev.target;
    change("Default send mode", "Accounts without their own mode will now use: " + sel.selectedOptions[0].textContent + ".", "settings/", { default_send_mode: sel.value }, () => { sel.value = sel.dataset.current; });
  });
  LB.ready.then(() => load());
})();

/* Canned replies, managed by admins on the settings page: list, add (global, per platform or per
 * account), edit, switch off and delete. The server checks the text against the guardrails and
 * audits every change; its reasons are shown as they come. */
(function () {
  "use strict";
  const LB = window.LB;
  const $ = (x) => document.getElementById(x);
  let editing = null;

  function scopeText(r) {
    if (r.account) return "account " + (r.account_label || r.account);
    if (r.platform) return "platform " + r.platform;
    return "every account";
  }

  function resetForm() {
    editing = null;
    $("canned-form").reset();
    $("canned-scope").disabled = false;
    $("canned-form-title").textContent = "New canned reply";
    $("canned-save").textContent = "Add";
    $("canned-cancel").hidden = true;
  }

  async function load() {
    LB.state($("canned-state"), "loading", "Loading canned replies…");
    try {
      const rows = (await LB.api("canned-replies/")).data;
      const body = LB.clear($("canned-rows"));
      if (!rows.length) body.append(LB.el("tr", {}, LB.el("td", { colspan: "5", class: "empty", text: "No canned replies yet: add the first below." })));
      for (const r of rows) {
        const on = LB.el("input", { type: "checkbox", "aria-label": "Canned reply " + r.title + " on" });
        on.checked = r.is_active;
        on.addEventListener("change", () => save("canned-replies/" + r.id + "/", "PATCH", { is_active: on.checked }, (on.checked ? "Switched on " : "Switched off ") + "“" + r.title + "”"));
        const edit = LB.el("button", { type: "button", class: "btn", text: "Edit" });
        edit.addEventListener("click", () => {
          editing = r;
          $("canned-title").value = r.title;
          $("canned-body").value = r.body;
          $("canned-scope").disabled = true;
          $("canned-form-title").textContent = "Edit “" + r.title + "” (" + scopeText(r) + ")";
          $("canned-save").textContent = "Save";
          $("canned-cancel").hidden = false;
          $("canned-title").focus();
        });
        const del = LB.el("button", { type: "button", class: "btn danger", text: "Delete" });
        del.addEventListener("click", async () => {
          const answer = await LB.confirm("Delete “" + r.title + "”?", "Agents will no longer be offered it. This cannot be undone.", false);
          if (answer.ok) save("canned-replies/" + r.id + "/", "DELETE", undefined, "Deleted “" + r.title + "”");
        });
        body.append(LB.el("tr", { "data-canned": r.id },
          LB.el("td", { text: r.title }), LB.el("td", { text: scopeText(r) }),
          LB.el("td", { class: "canned-text", text: r.body }), LB.el("td", {}, on), LB.el("td", {}, edit, " ", del)));
      }
      LB.state($("canned-state"), "", "");
    } catch (e) {
      LB.state($("canned-state"), "error", "Could not load canned replies: " + e.message, load);
    }
  }

  async function save(path, method, body, done) {
    try {
      await LB.api(path, { method: method, body: body });
      LB.toast(done + ": saved and audited");
      resetForm();
    } catch (e) {
      LB.toast("Canned reply not saved: " + e.message, "error");
    }
    await load();
  }

  $("canned-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const title = $("canned-title").value.trim();
    const text = $("canned-body").value;
    if (editing) {
      save("canned-replies/" + editing.id + "/", "PATCH", { title: title, body: text }, "Changed “" + title + "”");
      return;
    }
    const scope = $("canned-scope").value;
    const body = { title: title, body: text };
    if (scope.startsWith("account:")) body.account = Number(scope.slice(8));
    if (scope.startsWith("platform:")) body.platform = scope.slice(9);
    save("canned-replies/", "POST", body, "Added “" + title + "”");
  });
  $("canned-cancel").addEventListener("click", resetForm);

  LB.start(async () => {
    try {
      const accounts = (await LB.api("platform-accounts/")).data;
      const sel = $("canned-scope");
      for (const p of [...new Set(accounts.map((a) => a.platform))].sort()) sel.append(LB.el("option", { value: "platform:" + p, text: "Platform " + p }));
      for (const a of accounts) sel.append(LB.el("option", { value: "account:" + a.id, text: "Account " + a.platform + " / " + a.label }));
    } catch (e) {
      LB.toast("Could not load the accounts: " + e.message, "error");
    }
    await load();
  });
})();

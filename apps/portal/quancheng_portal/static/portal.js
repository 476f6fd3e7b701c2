// 数字保险箱: the little JavaScript the pages need — keep the owner's key in this browser,
// and sign decisions with it. All cryptography is QCCrypto (static/vendor/qc-crypto.js,
// built from sm-crypto-v2); nothing here talks to any server but the portal.
"use strict";

(() => {
  const Q = window.QCCrypto;
  const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || "";
  const labels = JSON.parse(document.getElementById("labels").textContent);
  // Chinese names of the institutions and resources on this page (the requests page has them).
  const names = JSON.parse(document.getElementById("names")?.textContent || "{}");
  const statusBox = document.getElementById("status");
  const FLASH = "qc-portal-flash";

  // ------------------------------------------------------------------ messages

  function announce(message, kind = "ok") {
    statusBox.className = `status ${kind}`;
    statusBox.textContent = message;
  }

  function flashAndReload(message) {
    sessionStorage.setItem(FLASH, message);
    location.reload();
  }

  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    announce(flash);
  }

  class ApiError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": meta("csrf-token") },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const err = data?.error;
      throw new ApiError(err?.code || `HTTP_${response.status}`, err?.message || `请求失败（${response.status}）`);
    }
    return data;
  }

  function showError(err) {
    const code = err instanceof ApiError ? `（${err.code}）` : "";
    announce(`${err.message}${code}`, "error");
  }

  // ----------------------------------------------------------------- the key

  // GB/T 32918.5 Annex A (r, s): the bundled library must reproduce them before it signs.
  const KAT_R = "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3";
  const KAT_S = "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa";
  let buildChecked = false;

  function sign(bytes, privateKey) {
    if (!buildChecked) {
      const t = Q.selfTest();
      if (t.r !== KAT_R || t.s !== KAT_S) throw new Error("浏览器中的国密算法库自检失败，已停止签名。");
      buildChecked = true;
    }
    return Q.sign(bytes, privateKey);
  }

  const SLOT_PREFIX = "qc-portal:key:";
  const slotKey = (slot) => `${SLOT_PREFIX}${slot}`;

  function loadKey(slot) {
    try {
      const stored = JSON.parse(localStorage.getItem(slotKey(slot)) || "null");
      if (stored && Q.publicKeyOf(stored.privateKey) === stored.publicKey) return stored;
    } catch {}
    return null;
  }

  function saveKey(slot, privateKey) {
    const record = { privateKey, publicKey: Q.publicKeyOf(privateKey), savedAt: Date.now() };
    localStorage.setItem(slotKey(slot), JSON.stringify(record));
    return record;
  }

  /** Every key this browser holds, newest first: [{slot, key}]. */
  function localKeys() {
    return Object.keys(localStorage)
      .filter((name) => name.startsWith(SLOT_PREFIX))
      .map((name) => ({ slot: name.slice(SLOT_PREFIX.length), key: loadKey(name.slice(SLOT_PREFIX.length)) }))
      .filter((entry) => entry.key)
      .sort((a, b) => (b.key.savedAt || 0) - (a.key.savedAt || 0));
  }

  const keyHex = (publicKey) => "0x" + publicKey;

  /** The first 16 hex digits of the key's SM3 fingerprint, as the pages show it. */
  function fingerprint(publicKey) {
    const fp = Q.sm3(Q.hexToBytes(publicKey));
    return [0, 4, 8, 12].map((i) => fp.slice(i, i + 4)).join(" ");
  }

  function setCsrf(token) {
    document.querySelector('meta[name="csrf-token"]').content = token;
  }

  async function bindKey(session, key, replace = false) {
    const proof = Q.canonicalJson({
      type: "quancheng.portal.key-proof/1",
      challenge: session.key_challenge,
      owner_key: keyHex(key.publicKey),
    });
    const signature = sign(Q.utf8(proof), key.privateKey);
    return api("POST", "/api/owner/key", {
      public_key: keyHex(key.publicKey),
      proof: Q.toBase64(signature),
      replace,
    });
  }

  /** The signing key for this page, or null (with a warning shown) if the browser lacks it. */
  function pageKey() {
    const slot = meta("key-slot");
    const attested = meta("attested-key");
    const key = slot ? loadKey(slot) : null;
    const warning = document.getElementById("key-warning");
    if (key && attested && keyHex(key.publicKey) === attested) return key;
    if (warning && document.body.dataset.page !== "key" && document.body.dataset.page !== "login") {
      warning.hidden = false;
      warning.textContent = "";
      warning.append(
        attested ? "本浏览器中没有您登记在链上的签名密钥，暂时不能签名。请到" : "您还没有登记签名密钥。请到",
        Object.assign(document.createElement("a"), { href: "/key", textContent: "“我的密钥”" }),
        "页面导入备份或设置密钥。"
      );
    }
    return null;
  }

  // -------------------------------------------------------------- the dialog

  const dialog = document.getElementById("confirm");

  function confirmDialog(title, content, okText = "确认", danger = false) {
    document.getElementById("confirm-title").textContent = title;
    const body = document.getElementById("confirm-body");
    body.replaceChildren(...(Array.isArray(content) ? content : [content]));
    const ok = document.getElementById("confirm-ok");
    ok.textContent = okText;
    ok.className = danger ? "danger" : "primary";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    });
  }

  const el = (tag, text, cls) => Object.assign(document.createElement(tag), { textContent: text, className: cls || "" });

  function dateText(unixSeconds) {
    const t = new Date(unixSeconds * 1000);
    return t.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", dateStyle: "long", timeStyle: "short" });
  }

  /** A thing by its Chinese name; by its code, muted, where no name is known. */
  const named = (label, code) => (label ? document.createTextNode(label) : el("span", code, "code"));

  /** What the owner is about to sign, rendered from the document bytes themselves: each code
   * of the document shown by the name the portal knows for it. */
  function documentSummary(doc, digest) {
    const dl = el("dl", "", "terms");
    const row = (k, v) => {
      const dd = el("dd", typeof v === "string" ? v : "");
      if (typeof v !== "string") dd.append(v);
      dl.append(el("dt", k), dd);
    };
    const consumerName = names.institutions?.[doc.consumer];
    const consumer = el("span");
    consumer.append(named(consumerName, doc.consumer));
    if (consumerName) consumer.append(" ", el("span", doc.consumer, "code"));
    row("申请机构", consumer);
    row("用途", labels.purposes[String(doc.purpose)] || `用途 ${doc.purpose}`);
    const warning = labels.tier_warnings[String(doc.purpose)];
    if (warning) row("请注意", warning);
    const derived = doc.mode === "DERIVED";
    const scope = el("ul", "", "scope");
    doc.scope.forEach((s) => {
      const resource = names.resources?.[s.resource] || {};
      const itemLabels = (derived ? resource.indicators : resource.fields) || {};
      const li = el("li");
      const title = el("strong");
      title.append(named(resource.title, s.resource));
      li.append(title);
      if (resource.provider) li.append(`（来自${resource.provider}）`);
      li.append(el("br"), el("span", derived ? "指标：" : "字段：", "items-kind"));
      s.fields.forEach((f, i) => li.append(...(i ? ["、"] : []), named(itemLabels[f], f)));
      scope.append(li);
    });
    row("数据", scope);
    row("方式", labels.modes[doc.mode] || doc.mode);
    row("数据时间范围", `${doc.data_from} 至 ${doc.data_to}`);
    row("授权有效期", `${dateText(doc.not_before)} 至 ${dateText(doc.not_after)}`);
    row("最多使用", `每项数据最多使用 ${doc.max_uses} 次`);
    row("文件摘要（SM3）", el("code", digest));
    return dl;
  }

  // ---------------------------------------------------------------- decisions

  async function approve(card, key) {
    const grantId = card.dataset.grantId;
    const doc = await api("GET", `/api/grants/${grantId}/document`);
    const bytes = Q.fromBase64(doc.document);
    const digest = "0x" + Q.sm3(bytes);
    if (digest !== doc.document_digest || digest !== card.dataset.digest) {
      throw new Error("授权文件与链上记录的摘要不一致，已停止签名。");
    }
    const parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (parsed.grant_id !== grantId || parsed.owner_key !== keyHex(key.publicKey)) {
      throw new Error("授权文件不是发给您这把密钥的，已停止签名。");
    }
    const raw = el("details");
    raw.append(el("summary", "查看将要签署的原文"), el("pre", new TextDecoder().decode(bytes)));
    const ok = await confirmDialog("确认同意这项授权？", [
      el("p", "您将用本机的签名密钥签署下面这份授权文件。签署后，机构可以在有效期内按约定查询数据。"),
      documentSummary(parsed, digest),
      raw,
    ], "签名并同意");
    if (!ok) return null;
    const signature = sign(bytes, key.privateKey);
    return api("POST", `/api/grants/${grantId}/approve`, { signature: Q.toBase64(signature) });
  }

  const ACTIONS = {
    reject: { title: "拒绝这项请求？", text: "拒绝后机构不能使用您的数据；如仍需要，机构须重新发起请求。", ok: "签名并拒绝", danger: true },
    pause: { title: "暂停这项授权？", text: "暂停期间机构的查询会被拒绝，您可以随时恢复。", ok: "签名并暂停", danger: false },
    resume: { title: "恢复这项授权？", text: "恢复后机构可以继续在有效期内查询。", ok: "签名并恢复", danger: false },
    revoke: { title: "撤销这项授权？", text: "撤销是永久的：机构之后的每一次查询都会被拒绝，且不能恢复。", ok: "签名并撤销", danger: true },
  };

  async function act(card, key, action) {
    const spec = ACTIONS[action];
    if (!(await confirmDialog(spec.title, el("p", spec.text), spec.ok, spec.danger))) return null;
    const documentText = Q.canonicalJson({
      type: "quancheng.grant-action/2",
      action,
      grant_id: card.dataset.grantId,
      document_digest: card.dataset.digest,
      seq: Number.parseInt(card.dataset.seq, 10),
      at: Math.floor(Date.now() / 1000),
    });
    const bytes = Q.utf8(documentText);
    const signature = sign(bytes, key.privateKey);
    return api("POST", `/api/grants/${card.dataset.grantId}/${action}`, {
      document: Q.toBase64(bytes),
      signature: Q.toBase64(signature),
    });
  }

  const DONE = { approve: "已同意", reject: "已拒绝", pause: "已暂停", resume: "已恢复", revoke: "已撤销" };

  function wireDecisions() {
    const key = pageKey();
    document.querySelectorAll("article.grant button[data-action]").forEach((button) => {
      if (!key) button.disabled = true;
      button.addEventListener("click", async () => {
        const card = button.closest("article.grant");
        const action = button.dataset.action;
        const buttons = card.querySelectorAll("button");
        buttons.forEach((b) => (b.disabled = true));
        try {
          const result = action === "approve" ? await approve(card, key) : await act(card, key, action);
          if (result) {
            flashAndReload(`${DONE[action]}：编号 ${result.grant_id.slice(2, 10)}，当前状态“${result.status_label}”（链上交易 ${result.tx_hash.slice(0, 12)}…）`);
            return;
          }
        } catch (err) {
          showError(err);
        }
        buttons.forEach((b) => (b.disabled = false));
      });
    });
  }

  // ------------------------------------------------------------------ pages

  /** The enterprise chosen on the login page (its USCC), or null for a person. */
  function chosenUscc() {
    const enterprise = document.getElementById("kind-enterprise");
    if (!enterprise || !enterprise.checked) return null;
    return document.getElementById("uscc").value.replace(/\s+/g, "").toUpperCase();
  }

  /** Sign in by signing a fresh single-use challenge with ``key`` (for the enterprise
   * ``uscc`` names, or as a person when null); the session. */
  async function keySignIn(key, uscc) {
    const challenge = await api("POST", "/api/sign-in/challenge");
    const ownerKey = keyHex(key.publicKey);
    const signed = {
      type: challenge.type,
      challenge: challenge.challenge,
      owner_key: ownerKey,
      origin: challenge.origin,
    };
    if (uscc) signed.uscc = uscc;
    const signature = sign(Q.utf8(Q.canonicalJson(signed)), key.privateKey);
    const session = await api("POST", "/api/sign-in", {
      challenge: challenge.challenge,
      owner_key: ownerKey,
      signature: Q.toBase64(signature),
      origin: challenge.origin,
      uscc: uscc || null,
    });
    setCsrf(session.csrf_token);
    const stored = loadKey(session.key_slot);
    if (!stored || stored.publicKey !== key.publicKey) saveKey(session.key_slot, key.privateKey);
    return session;
  }

  function loginPage() {
    const list = document.getElementById("key-slots");
    const button = document.getElementById("key-sign-in-button");
    const keys = localKeys();
    list.replaceChildren();
    if (!keys.length) {
      list.append(el("p", "这个浏览器里还没有您的签名密钥。请用密钥备份登录，或输入开通码。", "muted"));
    }
    keys.forEach((entry, i) => {
      const id = `slot-${entry.slot}`;
      const row = el("div", "", "key-slot");
      const input = Object.assign(document.createElement("input"), { type: "radio", name: "slot", id, value: entry.slot, checked: i === 0 });
      const saved = entry.key.savedAt ? `，${new Date(entry.key.savedAt).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", dateStyle: "long", timeStyle: "short" })} 保存` : "";
      const label = Object.assign(el("label", `密钥 ${fingerprint(entry.key.publicKey)}`), { htmlFor: id });
      label.append(el("span", `（指纹${saved}）`, "muted"));
      row.append(input, label);
      list.append(row);
    });
    button.disabled = !keys.length;
    document.querySelectorAll("input[name=kind]").forEach((radio) =>
      radio.addEventListener("change", () => {
        document.getElementById("uscc-field").hidden = !document.getElementById("kind-enterprise").checked;
      }),
    );
    document.getElementById("key-sign-in").addEventListener("submit", async (event) => {
      event.preventDefault();
      const slot = new FormData(event.target).get("slot");
      const key = slot && loadKey(slot);
      if (!key) return;
      button.disabled = true;
      try {
        announce("正在用本机密钥签名登录…");
        await keySignIn(key, chosenUscc());
        location.assign("/requests");
      } catch (err) {
        showError(err);
        button.disabled = false;
      }
    });
    document.getElementById("backup-file").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) document.getElementById("backup-text").value = await file.text();
    });
    document.getElementById("backup-sign-in").addEventListener("click", async () => {
      try {
        const privateKey = Q.importPrivateKey(document.getElementById("backup-text").value);
        announce("正在用备份的密钥签名登录…");
        await keySignIn({ privateKey, publicKey: Q.publicKeyOf(privateKey) }, chosenUscc());
        document.getElementById("backup-text").value = "";
        location.assign("/requests");
      } catch (err) {
        showError(err);
      }
    });
    document.getElementById("sign-in")?.addEventListener("submit", demoSignIn);
  }

  async function enroll(event) {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      announce("正在核验开通码…");
      const session = await api("POST", "/api/enroll", { code: document.getElementById("enroll-code").value });
      setCsrf(session.csrf_token);
      const held = loadKey(session.key_slot);
      let key = held && keyHex(held.publicKey) === session.attested_key ? held : null;
      if (!key && session.attested_key) {
        const ok = await confirmDialog("启用新密钥？", el("p", "您已有一把登记在链上的密钥。启用新密钥后旧密钥随即失效，发给旧密钥、还未处理的请求将不能再同意。"), "生成并登记新密钥", true);
        if (!ok) {
          announce("未登记新密钥。开通码在有效期内仍可使用。");
          button.disabled = false;
          return;
        }
      }
      key = key || Q.generateKeyPair();
      announce("正在链上登记您的签名公钥…");
      await bindKey(session, key, Boolean(session.attested_key));
      saveKey(session.key_slot, key.privateKey);
      sessionStorage.setItem(FLASH, "开通成功：您的签名密钥已在链上登记。请立即下载密钥备份并妥善保管。");
      location.assign("/key");
    } catch (err) {
      showError(err);
      button.disabled = false;
    }
  }

  async function demoSignIn(event) {
    event.preventDefault();
    const person = new FormData(event.target).get("person");
    try {
      announce("正在核验身份…");
      const session = await api("POST", "/api/session", { person });
      setCsrf(session.csrf_token);
      let key = loadKey(session.key_slot);
      if (session.attested_key) {
        if (!key || keyHex(key.publicKey) !== session.attested_key) {
          location.assign("/key");
          return;
        }
      } else {
        key = key || saveKey(session.key_slot, Q.generateKeyPair().privateKey);
        announce("正在链上登记您的签名公钥…");
        await bindKey(session, key);
      }
      location.assign("/requests");
    } catch (err) {
      showError(err);
    }
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "application/x-pem-file" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function keyPage() {
    const slot = meta("key-slot");
    const attested = meta("attested-key");
    const state = document.getElementById("local-key-state");
    const key = loadKey(slot);
    if (!key) state.textContent = "没有（请导入备份，或生成新密钥）";
    else if (keyHex(key.publicKey) === attested) state.textContent = "有，与链上登记的公钥一致 ✓";
    else state.textContent = "有，但与链上登记的公钥不同";
    document.getElementById("export-key").disabled = !key;

    document.getElementById("export-key").addEventListener("click", () => {
      const current = loadKey(slot);
      if (current) download("quancheng-owner-key.pem", Q.exportPkcs8Pem(current.privateKey));
      announce("已下载密钥备份，请妥善保管。");
    });
    document.getElementById("import-file").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) document.getElementById("import-text").value = await file.text();
    });
    document.getElementById("import-key").addEventListener("click", async () => {
      try {
        const privateKey = Q.importPrivateKey(document.getElementById("import-text").value);
        const publicKey = keyHex(Q.publicKeyOf(privateKey));
        if (attested && publicKey !== attested) throw new Error("这把密钥不是您登记在链上的密钥，未导入。");
        const imported = saveKey(slot, privateKey);
        if (!attested) await bindKey(await api("GET", "/api/session"), imported);
        document.getElementById("import-text").value = "";
        flashAndReload("密钥已导入本浏览器。");
      } catch (err) {
        showError(err);
      }
    });
    document.getElementById("sign-out-everywhere").addEventListener("click", async () => {
      const ok = await confirmDialog("在所有设备上退出登录？", el("p", "您在所有设备（包括这台）上的登录都将结束；密钥仍保存在各自的浏览器中。"), "全部退出", true);
      if (!ok) return;
      try {
        await api("POST", "/api/session/logout-all");
        location.assign("/login");
      } catch (err) {
        showError(err);
      }
    });
    document.getElementById("new-key")?.addEventListener("click", async () => {
      const ok = await confirmDialog("生成并登记新密钥？", el("p", "旧密钥将在链上失效；发给旧密钥的待处理请求将不能再同意。"), "生成并登记", true);
      if (!ok) return;
      try {
        const fresh = Q.generateKeyPair();
        await bindKey(await api("GET", "/api/session"), fresh, true);
        saveKey(slot, fresh.privateKey);
        flashAndReload("新密钥已在链上登记，请立即下载备份。");
      } catch (err) {
        showError(err);
      }
    });
  }

  /** Read the gateways' receipt logs (POST /api/history/refresh), then show the list as the
   * portal now has it: on opening the page, and when the owner asks. */
  async function refreshHistory(button, asked) {
    const section = () => document.getElementById("accesses");
    button.disabled = true;
    section().setAttribute("aria-busy", "true");
    if (asked) announce("正在从各部门读取回执并核验…");
    try {
      const report = await api("POST", "/api/history/refresh");
      const response = await fetch("/history", { credentials: "same-origin", headers: { accept: "text/html" } });
      if (!response.ok) throw new ApiError(`HTTP_${response.status}`, `读取访问记录失败（${response.status}）`);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("accesses");
      if (!fresh) throw new Error("读取访问记录失败，请重新打开本页。");
      fresh.dataset.state = "current";
      // Which departments could not be read just now is said above the list, until a refresh
      // reads them (the server words it: names only, no code, no address).
      if (report.notice) fresh.prepend(Object.assign(el("p", report.notice, "notice warn incomplete"), { role: "alert" }));
      section().replaceWith(document.importNode(fresh, true));
      if (asked) {
        const partly = report.notice ? "；部分部门的记录暂时无法读取，见下方说明" : "";
        announce(`已刷新：新增 ${report.new} 条记录，重新核验 ${report.rechecked} 条${partly}。`, partly ? "error" : "ok");
      } else if (report.new) {
        announce(`已读取最新的访问记录：新增 ${report.new} 条。`);
      }
    } catch (err) {
      section().dataset.state = "stale";
      showError(err);
    } finally {
      section().removeAttribute("aria-busy");
      button.disabled = false;
    }
  }

  document.getElementById("sign-out")?.addEventListener("click", async () => {
    try {
      await api("POST", "/api/session/logout");
    } finally {
      location.assign("/login");
    }
  });

  // What page scripts of their own (static/invitations.js) sign and ask with: one copy of each.
  window.QCPortal = Object.freeze({ Q, api, sign, pageKey, confirmDialog, el, announce, showError, flashAndReload, keyHex });

  const page = document.body.dataset.page;
  if (page === "login") loginPage();
  if (page === "enroll") document.getElementById("enroll-form").addEventListener("submit", enroll);
  if (page === "requests" || page === "grants") wireDecisions();
  if (page === "key") keyPage();
  if (page === "history") {
    pageKey();
    const button = document.getElementById("refresh-history");
    button.addEventListener("click", () => refreshHistory(button, true));
    refreshHistory(button, false);
  }
  document.documentElement.dataset.ready = "true";
})();

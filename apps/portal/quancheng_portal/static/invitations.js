// 数字保险箱: answering an institution's invitation (the requests page). Accepting signs, with
// the owner's key, the canonical quancheng.invitation-acceptance/1 over the invitation's digest
// and the owner's pseudonym; the helpers (signing, the API, the dialog) are portal.js's.
"use strict";

(() => {
  const P = window.QCPortal;
  if (!P) return;
  const Q = P.Q;

  async function accept(card, key) {
    const id = card.dataset.invitationId;
    const doc = await P.api("GET", `/api/invitations/${id}/document`);
    const bytes = Q.fromBase64(doc.document);
    const digest = "0x" + Q.sm3(bytes);
    if (digest !== doc.digest || digest !== card.dataset.digest) {
      throw new Error("邀请文件与门户记录的摘要不一致，已停止签名。");
    }
    const parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (parsed.invitation_id !== id || parsed.consumer !== card.dataset.consumer || doc.owner_pseudonym !== card.dataset.pseudonym) {
      throw new Error("邀请文件与页面显示的不一致，已停止签名。");
    }
    const raw = P.el("details");
    raw.append(P.el("summary", "查看邀请原文"), P.el("pre", new TextDecoder().decode(bytes)));
    const ok = await P.confirmDialog("接受这份邀请？", [
      P.el("p", "接受后，这家机构会得知您在泉城链上的匿名编号，并可以向您发出与邀请条件一致的授权请求；请求仍需您签名同意才生效。"),
      card.querySelector("dl.terms").cloneNode(true),
      raw,
    ], "签名并接受");
    if (!ok) return null;
    const acceptance = Q.utf8(Q.canonicalJson({
      type: "quancheng.invitation-acceptance/1",
      invitation_id: id,
      invitation_digest: digest,
      consumer: parsed.consumer,
      owner_pseudonym: doc.owner_pseudonym,
      accepted_at: Math.floor(Date.now() / 1000),
    }));
    const signature = P.sign(acceptance, key.privateKey);
    return P.api("POST", `/api/invitations/${id}/accept`, {
      document: Q.toBase64(acceptance),
      signature: Q.toBase64(signature),
    });
  }

  async function decline(card) {
    const ok = await P.confirmDialog("拒绝这份邀请？", P.el("p", "机构会得知您拒绝了邀请。如果您不想让机构知道您收到了邀请，可以不处理，邀请到期后自动失效。"), "拒绝", true);
    if (!ok) return null;
    return P.api("POST", `/api/invitations/${card.dataset.invitationId}/decline`);
  }

  const key = P.pageKey();
  document.querySelectorAll("article.invitation button[data-invitation]").forEach((button) => {
    const action = button.dataset.invitation;
    if (!key && action === "accept") button.disabled = true;
    button.addEventListener("click", async () => {
      const card = button.closest("article.invitation");
      const buttons = card.querySelectorAll("button");
      buttons.forEach((b) => (b.disabled = true));
      try {
        const result = action === "accept" ? await accept(card, key) : await decline(card);
        if (result) {
          P.flashAndReload(action === "accept"
            ? `已接受 ${card.querySelector("h3").textContent.split(" ")[0]} 的邀请：机构发出授权请求后会出现在本页，请再次确认。`
            : "已拒绝这份邀请。");
          return;
        }
      } catch (err) {
        P.showError(err);
      }
      buttons.forEach((b) => (b.disabled = b.dataset.invitation === "accept" && !key));
    });
  });
})();

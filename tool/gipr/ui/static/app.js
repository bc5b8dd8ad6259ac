/* gipr workbench: a little vanilla JavaScript over the JSON API.  Text from the server is
   always put into the page with textContent, never as HTML. */
"use strict";
(function () {
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  /* a submission status's name, as the server names it (gipr.messages.SUBMISSION_STATUS_ZH, given in
     base.html); "skipped" is no status of a submission: such a file was not recorded at all */
  const STATUS_ZH = Object.assign({skipped: "未收集"}, JSON.parse(document.body.dataset.statusZh));
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function toast(msg, bad) {
    /* a message stays until it is dismissed (×); only a success note goes by itself */
    const t = $("#toast");
    const close = el("button", "×", "close");
    close.type = "button";
    close.title = "关闭";
    close.addEventListener("click", () => { t.hidden = true; });
    t.replaceChildren(el("span", msg), close);
    t.className = bad ? "bad" : "";
    t.hidden = false;
    clearTimeout(toast.timer);
    if (!bad) toast.timer = setTimeout(() => { t.hidden = true; }, 8000);
  }
  function localTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  async function post(url, body) {
    const headers = {"X-CSRF-Token": CSRF};
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body || {});
    }
    const r = await fetch(url, {method: "POST", body, headers, credentials: "same-origin"});
    let data = null;
    try { data = await r.json(); } catch (e) { /* not JSON */ }
    if (!r.ok) {
      const err = new Error((data && data.error && data.error.message) || `请求失败（${r.status}）`);
      err.data = data && data.error;
      throw err;
    }
    return data;
  }
  async function busy(button, fn, onError) {
    /* an action that takes more than half a second shows 正在处理 on its button */
    let timer = null, label = null;
    if (button) {
      button.disabled = true;
      timer = setTimeout(() => {
        label = button.textContent;
        button.textContent = "正在处理…";
        button.classList.add("busy");
        button.setAttribute("aria-busy", "true");
      }, 500);
    }
    try { return await fn(); } catch (e) {
      if (onError) onError(e); else toast(e.message, true);
    } finally {
      clearTimeout(timer);
      if (button) {
        if (label !== null) button.textContent = label;
        button.classList.remove("busy");
        button.removeAttribute("aria-busy");
        button.disabled = false;
      }
    }
  }

  /* ---- 报送情况 ------------------------------------------------------------------------ */
  let statusData = null;
  function renderStatus() {
    const tbody = $("#units tbody");
    if (!tbody || !statusData) return;
    const fs = $("#f-status").value, fc = $("#f-category").value;
    tbody.replaceChildren();
    let shown = 0;
    for (const u of statusData.units) {
      if (fs && u.status !== fs) continue;
      if (fc && (u.category || "") !== fc) continue;
      shown++;
      const tr = el("tr");
      tr.dataset.code = u.code;
      tr.dataset.status = u.status;
      tr.append(el("td", u.code));
      const name = el("td");
      const a = el("a", u.name);
      a.href = "/unit/" + encodeURIComponent(u.code);
      name.append(a);
      tr.append(name, el("td", u.category || ""));
      const st = el("td");
      st.append(el("span", STATUS_ZH[u.status] + (u.pinned ? "（人工指定）" : ""), "badge s-" + u.status));
      if (u.review && u.review.length) {
        const r = el("span", "需核对", "badge s-review");
        r.title = u.review.join("\n");
        st.append(" ", r);
      }
      tr.append(st, el("td", localTime(u.received_at)), el("td", u.file_name || ""),
                el("td", u.errors === null ? "" : u.errors), el("td", u.warnings === null ? "" : u.warnings));
      if (statusData.documents) {  /* the report document's state, as gipr status shows it (年报) */
        const d = el("td");
        d.dataset.document = u.document.state;
        d.append(el("span", u.document.state_zh, "badge doc-" + u.document.state));
        tr.append(d);
      }
      tbody.append(tr);
    }
    $("#th-document").hidden = !statusData.documents;
    $("#shown").textContent = `显示 ${shown} / ${statusData.units.length} 个单位`;
    const t = statusData.totals;
    for (const b of $$("[data-total]")) b.textContent = t[b.dataset.total];
    let x = 0;
    for (const r of $$("#progress rect")) {
      const w = 1000 * (t[r.dataset.status] || 0) / Math.max(1, t.units);
      r.setAttribute("x", x.toFixed(1));
      r.setAttribute("width", w.toFixed(1));
      r.querySelector("title").textContent = `${STATUS_ZH[r.dataset.status]} ${t[r.dataset.status]}`;
      x += w;
    }
    const box = $("#unattached");
    box.replaceChildren();
    if (statusData.unattached.length) {
      box.append(el("h3", `未归入任何单位的报送 ${statusData.unattached.length} 份（可在单位页面人工指定）`));
      const ul = el("ul");
      for (const s of statusData.unattached) {
        ul.append(el("li", `${localTime(s.received_at)} 收到的 ${s.file_name}：${STATUS_ZH[s.status] || s.status}` +
                            (s.reason ? `，${s.reason}` : "")));
      }
      box.append(ul);
    }
  }
  async function refreshStatus() {
    if (!$("#units")) return;
    const r = await fetch("/api/status", {credentials: "same-origin"});
    if (!r.ok) return;
    const fresh = await r.json();
    const changed = JSON.stringify(fresh) !== JSON.stringify(statusData);
    statusData = fresh;
    if (!changed) return;
    renderStatus();
    if ($("#next")) {  /* the 下一步 panel, as the server writes it now */
      const h = await fetch("/", {credentials: "same-origin"});
      if (h.ok) {
        const fresh = new DOMParser().parseFromString(await h.text(), "text/html").querySelector("#next");
        if (fresh) $("#next").replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
      }
    }
    const c = await fetch("/chart/status.svg", {credentials: "same-origin"});
    if (c.ok) {
      const doc = new DOMParser().parseFromString(await c.text(), "image/svg+xml");
      const svg = doc.documentElement;
      if (svg && svg.nodeName === "svg") $("#chart-box").replaceChildren(document.importNode(svg, true));
    }
  }
  if ($("#status-data")) {
    statusData = JSON.parse($("#status-data").textContent);
    renderStatus();
    $("#f-status").addEventListener("change", renderStatus);
    $("#f-category").addEventListener("change", renderStatus);
    setInterval(() => { refreshStatus().catch(() => {}); }, 5000);
  }

  /* ---- 收集 --------------------------------------------------------------------------- */
  let unitNames = null;
  async function names() {
    if (statusData) return Object.fromEntries(statusData.units.map((u) => [u.code, u.name]));
    if (!unitNames) {
      const r = await fetch("/api/status", {credentials: "same-origin"});
      unitNames = r.ok ? Object.fromEntries((await r.json()).units.map((u) => [u.code, u.name])) : {};
    }
    return unitNames;
  }
  function showCollect(data, names) {
    const c = data.counts;
    const sum = $("#collect-summary");
    sum.textContent = `收集完成：新收 ${c.new} 份（无误 ${c.accepted}，${STATUS_ZH.errors} ${c.errors}，${STATUS_ZH.unidentified} ${c.unidentified}，` +
      `${STATUS_ZH.unreadable} ${c.unreadable}）；${STATUS_ZH.duplicate} ${c.duplicate} 份` + (c.skipped ? `；${STATUS_ZH.skipped} ${c.skipped} 个` : "") +
      (c.dropped ? `；超过附件上限未收取 ${c.dropped} 个（见各行说明）` : "") + "。" +
      (data.imap ? ` 收件邮箱：共 ${data.imap.total} 封，本次收取 ${data.imap.fetched} 封。` : "");
    sum.hidden = false;
    const table = $("#collect-results"), tbody = $("#collect-results tbody");
    tbody.replaceChildren();
    for (const o of data.outcomes) {
      const tr = el("tr");
      const st = el("td");
      const label = o.result === "duplicate" ? STATUS_ZH.duplicate : (STATUS_ZH[o.status] || o.status);
      st.append(el("span", label, "badge s-" + (o.result === "duplicate" ? "duplicate" : o.status)));
      const who = el("td");
      if (o.unit) {
        const a = el("a", o.unit_name || names[o.unit] || o.unit);
        a.href = "/unit/" + encodeURIComponent(o.unit);
        who.append(a);
      }
      tr.className = o.status === "accepted" || o.result === "duplicate" ? "" : "problem";
      tr.append(el("td", o.file_name), st, who, el("td", o.errors === null ? "" : o.errors),
                el("td", o.why || o.reason || ""));
      tbody.append(tr);
    }
    table.hidden = false;
  }
  async function upload(files) {
    if (!files.length) return;
    const fd = new FormData();
    for (const f of files) fd.append("files", f, f.name);
    toast(`正在收集 ${files.length} 个文件……`);
    await busy(null, async () => {
      const data = await post("/api/collect", fd);
      showCollect(data, await names());
      toast("收集完成。");
      await refreshStatus();
    });
  }
  const input = $("#files");
  if (input) {
    input.addEventListener("change", () => { upload(Array.from(input.files)).finally(() => { input.value = ""; }); });
    const drop = $("#drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      upload(Array.from(e.dataTransfer.files));
    });
  }
  const imapForm = $("#imap-form");
  if (imapForm) {
    imapForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const fd = new FormData(imapForm);
      fd.append("imap", "1");
      busy($("#imap"), async () => { showCollect(await post("/api/collect", fd), await names()); toast("收取完成。"); });
    });
  }

  /* ---- 单位 --------------------------------------------------------------------------- */
  const pinForm = $("#pin-form");
  if (pinForm) {
    pinForm.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(pinForm.querySelector("button"), async () => {
        await post("/api/pin", {unit: pinForm.dataset.unit, submission: $("#pin-submission").value,
                                note: $("#pin-note").value});
        location.reload();
      });
    });
    const unpin = $("#unpin");
    if (unpin) unpin.addEventListener("click", () => busy(unpin, async () => {
      await post("/api/pin", {unit: pinForm.dataset.unit, unuse: "1", note: $("#pin-note").value});
      location.reload();
    }));
  }

  /* ---- 模板与发送 ---------------------------------------------------------------------- */
  const mk = $("#make-templates");
  if (mk) {
    mk.addEventListener("click", () => busy(mk, async () => {
      const d = await post("/api/templates", {});
      const a = el("a", "下载 " + d.name, "btn");
      a.href = d.download;
      a.id = "templates-download";
      $("#templates-link").replaceChildren(a);
    }));
  }
  let mailKind = null, mailCount = 0;
  for (const b of $$(".mail-preview")) {
    b.addEventListener("click", () => busy(b, async () => {
      const d = await post("/api/mail/preview", {kind: b.dataset.kind});
      mailKind = b.dataset.kind;
      mailCount = d.counts.written;
      const tbody = $("#mail-preview tbody");
      tbody.replaceChildren();
      for (const o of d.outcomes) {
        const tr = el("tr");
        tr.dataset.unit = o.unit;
        tbody.append(tr);
        const letterCell = el("td");
        if (o.letter) {
          /* the letter itself: what this unit will receive */
          const det = el("details", null, "letter");
          det.append(el("summary", o.letter.subject));
          const dl = el("dl");
          dl.append(el("dt", "发件人"), el("dd", o.letter.from), el("dt", "收件人"), el("dd", o.letter.to),
                    el("dt", "附件"), el("dd", o.letter.attachments.join("、") || "（无）"));
          det.append(dl, el("pre", o.letter.text, "letter-text"));
          letterCell.append(det);
        } else {
          letterCell.textContent = o.error || "";
        }
        tr.append(el("td", o.name), el("td", o.status === "written" ? "将发送" : "跳过"),
                  el("td", (o.recipients || []).join("、")), letterCell);
      }
      $("#mail-preview").hidden = false;
      const what = mailKind === "send" ? "发送模板" : "催报提醒";
      $("#mail-summary").textContent = `${what}预览：将给 ${mailCount} 个单位发邮件，跳过 ${d.counts.skipped} 个。` +
        "点每一行的主题可以看到邮件全文。";
      $("#mail-summary").hidden = false;
      const send = $("#mail-send");
      send.textContent = `发送给 ${mailCount} 个单位`;
      send.hidden = mailCount === 0;
    }));
  }
  if (location.hash === "#remind" || location.hash === "#send") {
    const b = $(`.mail-preview[data-kind="${location.hash.slice(1)}"]`);
    if (b) b.click();
  }
  /* 下一步: file an unassigned submission under a unit */
  document.addEventListener("submit", (e) => {
    const f = e.target;
    if (!f.classList || !f.classList.contains("assign-form")) return;
    e.preventDefault();
    busy(f.querySelector("button"), async () => {
      await post("/api/pin", {unit: f.querySelector("select").value, submission: f.dataset.submission,
                              note: "在报送情况页面归入"});
      location.reload();
    });
  });
  const sendBtn = $("#mail-send");
  if (sendBtn) {
    sendBtn.addEventListener("click", () => {
      const what = mailKind === "send" ? "发送模板" : "催报提醒";
      if (!window.confirm(`确定要${what}吗？将给 ${mailCount} 个单位发送邮件。`)) return;
      busy(sendBtn, async () => {
        const d = await post("/api/mail/send", {kind: mailKind, confirm: mailCount,
                                                password: $("#smtp-password").value});
        $("#mail-summary").textContent = `已发送 ${d.counts.sent} 个单位，失败 ${d.counts.failed} 个，` +
          `无法确认 ${d.counts.uncertain} 个，跳过 ${d.counts.skipped} 个。发送记录已记入台账。`;
        sendBtn.hidden = true;
      });
    });
  }

  /* ---- 开始：新建或打开一个年度 ---------------------------------------------------------- */
  const createForm = $("#create-form");
  if (createForm) {
    createForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const box = $("#roster-problems");
      box.hidden = true;
      busy($("#create-submit"), async () => {
        const d = await post("/api/workspace/create", new FormData(createForm));
        location.href = d.page;
      }, (err) => {
        toast(err.message, true);
        const rows = (err.data && err.data.rows) || [];
        if (!rows.length) return;
        $("#roster-problems-title").textContent = err.message;
        $("#roster-problems tbody").replaceChildren(...rows.map((r) => { const tr = el("tr"); tr.append(el("td", r)); return tr; }));
        box.hidden = false;
      });
    });
  }
  for (const b of $$(".open-ws")) {
    b.addEventListener("click", () => busy(b, async () => {
      location.href = (await post("/api/workspace/open", {path: b.dataset.path})).page;
    }));
  }
  const openForm = $("#open-form");
  if (openForm) {
    openForm.addEventListener("submit", (e) => {
      e.preventDefault();
      busy($("#open-submit"), async () => {
        location.href = (await post("/api/workspace/open", {path: $("#open-path").value})).page;
      });
    });
  }

  /* ---- 邮箱设置 ------------------------------------------------------------------------ */
  const mailForm = $("#mail-form");
  if (mailForm) {
    const values = () => Object.fromEntries(new FormData(mailForm).entries());
    $("#mail-test").addEventListener("click", () => busy($("#mail-test"), async () => {
      const d = await post("/api/mailsettings/test", values());
      const ul = $("#mail-test-results");
      ul.replaceChildren(...d.results.map((r) => el("li", (r.ok ? "✓ " : "✗ ") + r.message, r.ok ? "ok" : "bad")));
      ul.hidden = false;
    }));
    mailForm.addEventListener("submit", (e) => {
      e.preventDefault();
      busy($("#mail-save"), async () => {
        const d = await post("/api/mailsettings/save", values());
        for (const id of ["smtp_password", "imap_password"]) {
          if ($("#" + id).value && d.stored.includes(id.split("_")[0])) $("#" + id).placeholder = "已保存（留空不修改）";
          $("#" + id).value = "";
        }
        toast(d.message, false);
        const ul = $("#mail-test-results");
        ul.replaceChildren(el("li", d.message, "ok"));
        ul.hidden = false;
      });
    });
  }

  /* ---- 汇总 --------------------------------------------------------------------------- */
  const mergeForm = $("#merge-form");
  if (mergeForm) {
    mergeForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const fd = new FormData(mergeForm);
      const prev = mergeForm.querySelector('input[name="previous"]');
      if (!prev.files.length) fd.delete("previous");
      busy($("#run-merge"), async () => {
        const d = await post("/api/merge", fd);
        location.href = d.page;
      });
    });
  }
  const reportBtn = $("#run-report");
  if (reportBtn) {
    reportBtn.addEventListener("click", () => {
      busy(reportBtn, async () => {
        const d = await post("/api/report", {run: reportBtn.dataset.run});
        const units = d.documents.length - 1, drafts = d.documents.filter((x) => x.draft).length;
        $("#report-summary").textContent = `已生成年度报告：本级 1 份，单位 ${units} 份` +
          (drafts ? `（其中 ${drafts} 份数据有误，标注为草稿）` : "") + "。";
        $("#download-report").href = d.download;
        $("#download-report-units").href = d.download_units;
        $("#download-report-units").hidden = units === 0;
        $("#report-result").hidden = false;
      });
    });
  }
})();

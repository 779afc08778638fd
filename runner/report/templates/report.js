// The report's one script (its hash is in the page's Content-Security-Policy). It
// filters and sorts the item table, and opens a task's drill-down: each task's part of
// the page is HTML the report's templates rendered and escaped, gzipped and base64-encoded
// into a data block, unpacked here on demand. Nothing is fetched; no text is evaluated.
"use strict";
(() => {
  const $ = (s, el = document) => el.querySelector(s);
  const $$ = (s, el = document) => Array.from(el.querySelectorAll(s));
  const blocks = new Map(JSON.parse($("#fabula-tasks").textContent));

  // ---------------------------------------------------------------- the item table
  const table = $("#items-table");
  const body = $("tbody", table);
  const rows = $$("tr", body);
  const f = {
    model: $("#f-model"),
    type: $("#f-type"),
    theory: $("#f-theory"),
    result: $("#f-result"),
    min: $("#f-min"),
    task: $("#f-task"),
  };
  function keep(d) {
    const min = parseFloat(f.min.value);
    const text = f.task.value.trim().toLowerCase();
    return (
      (!f.model.value || d.model === f.model.value) &&
      (!f.type.value || d.type === f.type.value) &&
      (!f.theory.value || d.theory === f.theory.value) &&
      (!f.result.value || d.result === f.result.value) &&
      (Number.isNaN(min) || (d.score !== "" && parseFloat(d.score) >= min)) &&
      (!text || d.task.toLowerCase().includes(text))
    );
  }
  function filter() {
    let shown = 0;
    for (const r of rows) {
      const ok = keep(r.dataset);
      r.hidden = !ok;
      if (ok) shown++;
    }
    $("#items-count").textContent = `${shown} of ${rows.length} items shown`;
  }
  for (const el of Object.values(f)) el.addEventListener("input", filter);
  for (const th of $$("th[data-sort]", table)) {
    th.addEventListener("click", () => {
      const key = th.dataset.sort;
      const numeric = th.dataset.numeric === "1";
      const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      for (const h of $$("th[data-sort]", table)) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      const value = (r) => {
        const v = r.dataset[key];
        if (!numeric) return v;
        return v === "" ? -Infinity : parseFloat(v);
      };
      const sorted = rows.slice().sort((a, b) => {
        const x = value(a);
        const y = value(b);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      body.append(...sorted);
    });
  }
  body.addEventListener("click", (e) => {
    const r = e.target.closest("tr[data-task]");
    if (!r) return;
    const p = new URLSearchParams({ task: r.dataset.task, model: r.dataset.model, sample: r.dataset.sample });
    location.hash = p.toString();
  });
  filter();

  // ---------------------------------------------------------------- compare
  // Every ordered pair is in the page (computed by Fabula); this shows the one picked.
  const ca = $("#c-a");
  const cb = $("#c-b");
  function pick() {
    const same = ca.value === cb.value;
    let shown = false;
    for (const d of $$(".pair")) {
      d.hidden = same || d.dataset.a !== ca.value || d.dataset.b !== cb.value;
      shown = shown || !d.hidden;
    }
    $("#compare-note").textContent = same ? "Pick two different models." : shown ? "" : "No comparison for these two.";
  }
  if (ca && cb) {
    ca.addEventListener("input", pick);
    cb.addEventListener("input", pick);
    pick();
  }

  // ---------------------------------------------------------------- the drill-down
  async function unpack(n) {
    const text = $(`#fabula-task-${n}`).textContent.trim();
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }
  function showSample(panel, sample) {
    const all = $$(".sample", panel);
    const target = all.find((s) => s.dataset.sample === sample) || all[0];
    for (const s of all) s.hidden = s !== target;
    for (const b of $$(".samples button", panel)) {
      b.setAttribute("aria-pressed", String(target !== undefined && b.dataset.sample === target.dataset.sample));
    }
  }
  const panel = $("#task-detail");
  panel.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.sample !== undefined) showSample(panel, b.dataset.sample);
    if (b.dataset.q !== undefined) {
      const entry = b.closest(".entry");
      const on = !b.classList.contains("lit");
      for (const x of $$("button.q.lit, mark.lit", entry)) x.classList.remove("lit");
      if (!on) return;
      b.classList.add("lit");
      const marks = $$("mark", entry).filter((m) => m.dataset.q.split(" ").includes(b.dataset.q));
      for (const m of marks) m.classList.add("lit");
      if (marks.length) marks[0].scrollIntoView({ block: "nearest" });
    }
  });
  let opened = null;
  async function open() {
    const p = new URLSearchParams(location.hash.slice(1));
    const id = p.get("task");
    if (id === null) return;
    if (id !== opened) {
      if (!blocks.has(id)) {
        panel.textContent = `This report has no task ${id} (it may be filtered out).`;
        opened = null;
        return;
      }
      // HTML rendered and escaped by the report's templates, not text from a model.
      panel.innerHTML = await unpack(blocks.get(id));
      opened = id;
    }
    showSample(panel, p.get("sample") || "");
    for (const e of $$(".entry", panel)) e.classList.toggle("focus", e.dataset.model === p.get("model"));
    $("#drill").scrollIntoView();
  }
  // Opened at a task (the editor's hover link): its drill-down, unless the address
  // already names one.
  const focus = $('meta[name="fabula-focus"]');
  // (replaceState: no hashchange, the call below opens it once.)
  if (focus && !location.hash) history.replaceState(null, "", `#${new URLSearchParams({ task: focus.content })}`);
  window.addEventListener("hashchange", () => {
    open().catch((e) => {
      panel.textContent = `Could not open this task: ${e}`;
    });
  });
  open().catch((e) => {
    panel.textContent = `Could not open this task: ${e}`;
  });
})();

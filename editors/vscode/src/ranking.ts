// The ranking view: a task sample's outputs, blind (the server sends no model name, in an
// order shuffled for this view), for a person to put in order by drag and drop or with
// the keyboard, mark ties, add a note and save. The page's one script comes with a nonce;
// every model text reaches the page escaped (`escapeHtml`), never as markup or script.

import type * as vscode from "vscode";
import type { RankingItemsResult, SaveRankingParams, SaveRankingResult } from "./protocol";
import { escapeHtml } from "./leaderboard";

/** What the page posts back when the person saves. */
export interface SaveMessage {
  type: "save";
  /** Output ids in rank groups, best first. */
  ranks: string[][];
  note: string;
}

/** True when `value` is a well-formed [`SaveMessage`] (the page is not trusted blindly). */
export function isSaveMessage(value: unknown): value is SaveMessage {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const m = value as Record<string, unknown>;
  return (
    m.type === "save" &&
    typeof m.note === "string" &&
    Array.isArray(m.ranks) &&
    m.ranks.every((g) => Array.isArray(g) && g.every((id) => typeof id === "string"))
  );
}

/**
 * Rank groups from the shown order and, for each position, whether it is tied with the
 * one above: `["a","b","c"]`, `[false,true,false]` → `[["a","b"],["c"]]`.
 */
export function rankGroups(order: readonly string[], tiedWithAbove: readonly boolean[]): string[][] {
  const groups: string[][] = [];
  order.forEach((id, i) => {
    const last = groups[groups.length - 1];
    if (i > 0 && tiedWithAbove[i] === true && last !== undefined) {
      last.push(id);
    } else {
      groups.push([id]);
    }
  });
  return groups;
}

/** The label of the output shown at `index`: Output A, B, … (then A2, B2, …). */
export function outputLabel(index: number): string {
  const letter = String.fromCharCode(65 + (index % 26));
  const round = Math.floor(index / 26);
  return round === 0 ? letter : `${letter}${round + 1}`;
}

/** The page. `nonce` allows its one script; nothing else runs or loads. */
export function rankingHtml(view: RankingItemsResult, nonce: string, cspSource: string): string {
  const items = view.items
    .map((item, i) => {
      const transcript =
        item.transcript.length === 0
          ? ""
          : `<details><summary>Transcript (${item.transcript.length} turns)</summary>${item.transcript
              .map((t) => `<div class="turn"><b>${escapeHtml(t.actor)}</b><pre>${escapeHtml(t.content)}</pre></div>`)
              .join("")}</details>`;
      return `<li class="item" draggable="true" tabindex="0" data-id="${escapeHtml(item.id)}" aria-label="Output ${outputLabel(i)}">
<div class="bar"><span class="rank"></span> <span class="label">Output ${outputLabel(i)}</span>
<label class="tie"><input type="checkbox" class="tied"> tied with the one above</label></div>
<pre class="text">${escapeHtml(item.text)}</pre>${transcript}</li>`;
    })
    .join("\n");
  const samples = view.samples.length > 1 ? ` (samples: ${view.samples.map((s) => escapeHtml(String(s))).join(", ")})` : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Rank outputs</title>
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em 1.5em; display: grid; grid-template-columns: minmax(16em, 1fr) 2fr; gap: 1.5em; }
  aside pre, .text, .turn pre { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
  ol { list-style: none; padding: 0; }
  .item { border: 1px solid var(--vscode-panel-border, #8884); margin: 0 0 0.75em; padding: 0.5em 0.75em; cursor: grab; }
  .item:focus { outline: 2px solid var(--vscode-focusBorder); }
  .item.dragging { opacity: 0.5; }
  .item.tied-item { border-top-style: dashed; margin-top: -0.5em; }
  .bar { display: flex; gap: 1em; align-items: center; font-weight: bold; }
  .tie { font-weight: normal; margin-left: auto; }
  textarea { width: 100%; min-height: 4em; }
  .keys { opacity: 0.8; }
</style>
</head>
<body>
<aside>
<h2>Task ${escapeHtml(view.task)}, sample ${escapeHtml(String(view.sample))}${samples}</h2>
<pre>${escapeHtml(view.brief)}</pre>
</aside>
<main>
<p>Rater: ${escapeHtml(view.rater)}. Put the best output first. Drag an output, or focus it and press
<kbd>Alt</kbd>+<kbd>↑</kbd> / <kbd>Alt</kbd>+<kbd>↓</kbd> to move it; <kbd>T</kbd> ties it with the one above.</p>
<ol id="items" aria-label="Outputs, best first">
${items}
</ol>
<label for="note">Note</label>
<textarea id="note"></textarea>
<p><button id="save">Save ranking</button> <span id="status" role="status"></span></p>
</main>
<script nonce="${nonce}">
(() => {
  const vscode = acquireVsCodeApi();
  const list = document.getElementById("items");
  const status = document.getElementById("status");
  const items = () => Array.from(list.querySelectorAll(".item"));
  function refresh() {
    let rank = 0;
    items().forEach((li, i) => {
      const box = li.querySelector(".tied");
      if (i === 0) { box.checked = false; box.disabled = true; } else { box.disabled = false; }
      if (!box.checked) { rank = i + 1; }
      li.classList.toggle("tied-item", box.checked);
      li.querySelector(".rank").textContent = "#" + rank;
    });
  }
  let dragged = null;
  list.addEventListener("dragstart", (e) => {
    dragged = e.target.closest(".item");
    if (dragged) { dragged.classList.add("dragging"); e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", dragged.dataset.id); }
  });
  list.addEventListener("dragend", () => { if (dragged) { dragged.classList.remove("dragging"); } dragged = null; refresh(); });
  list.addEventListener("dragover", (e) => {
    if (!dragged) { return; }
    e.preventDefault();
    const over = e.target.closest(".item");
    if (!over || over === dragged) { return; }
    const box = over.getBoundingClientRect();
    const after = e.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (e) => { e.preventDefault(); refresh(); });
  list.addEventListener("keydown", (e) => {
    const li = e.target.closest(".item");
    if (!li || e.target !== li) { return; }
    if (e.altKey && e.key === "ArrowUp" && li.previousElementSibling) {
      list.insertBefore(li, li.previousElementSibling); li.focus(); e.preventDefault();
    } else if (e.altKey && e.key === "ArrowDown" && li.nextElementSibling) {
      list.insertBefore(li.nextElementSibling, li); li.focus(); e.preventDefault();
    } else if (!e.altKey && e.key === "ArrowUp" && li.previousElementSibling) {
      li.previousElementSibling.focus(); e.preventDefault();
    } else if (!e.altKey && e.key === "ArrowDown" && li.nextElementSibling) {
      li.nextElementSibling.focus(); e.preventDefault();
    } else if (e.key === "t" || e.key === "T") {
      const box = li.querySelector(".tied");
      if (!box.disabled) { box.checked = !box.checked; }
      e.preventDefault();
    } else { return; }
    refresh();
    status.textContent = "#" + li.querySelector(".rank").textContent.slice(1) + ": " + li.getAttribute("aria-label");
  });
  list.addEventListener("change", refresh);
  document.getElementById("save").addEventListener("click", () => {
    const ranks = [];
    items().forEach((li, i) => {
      const tied = i > 0 && li.querySelector(".tied").checked;
      if (tied) { ranks[ranks.length - 1].push(li.dataset.id); } else { ranks.push([li.dataset.id]); }
    });
    status.textContent = "Saving…";
    vscode.postMessage({ type: "save", ranks, note: document.getElementById("note").value });
  });
  window.addEventListener("message", (e) => {
    if (e.data && typeof e.data.status === "string") { status.textContent = e.data.status; }
  });
  refresh();
})();
</script>
</body>
</html>
`;
}

/** What a saved ranking says, for the person who saved it. */
export function savedMessage(result: SaveRankingResult): string {
  const tau = result.median_tau;
  const against =
    typeof tau === "number"
      ? ` Kendall's tau-b against the judges' median order: ${tau >= 0 ? "+" : ""}${tau.toFixed(2)}.`
      : "";
  return `Ranking saved.${against}`;
}

/** One reused webview panel for ranking. */
export class RankingView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private shown: RankingItemsResult | undefined;

  constructor(
    private readonly api: typeof vscode,
    private readonly save: (params: SaveRankingParams) => Promise<SaveRankingResult>,
  ) {}

  show(view: RankingItemsResult): void {
    if (this.panel === undefined) {
      this.panel = this.api.window.createWebviewPanel(
        "fabula.ranking",
        `Rank: ${view.task}`,
        { viewColumn: this.api.ViewColumn.Beside, preserveFocus: false },
        { enableScripts: true, enableFindWidget: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
      this.panel.webview.onDidReceiveMessage((message: unknown) => {
        void this.onMessage(message);
      });
    } else {
      this.panel.title = `Rank: ${view.task}`;
      this.panel.reveal();
    }
    this.shown = view;
    this.panel.webview.html = rankingHtml(view, nonce(), this.panel.webview.cspSource);
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private async onMessage(message: unknown): Promise<void> {
    const view = this.shown;
    if (view === undefined || !isSaveMessage(message)) {
      return;
    }
    try {
      const result = await this.save({
        task: view.task,
        sample: view.sample,
        seed: view.seed,
        ranks: message.ranks,
        note: message.note,
        rater: view.rater,
      });
      const text = savedMessage(result);
      void this.panel?.webview.postMessage({ status: text });
      void this.api.window.showInformationMessage(`Fabula: ${text}`);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      void this.panel?.webview.postMessage({ status: `Not saved: ${text}` });
      void this.api.window.showErrorMessage(`Fabula: the ranking was not saved: ${text}`);
    }
  }
}

/** A fresh nonce for the page's script. */
function nonce(): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < 32; i++) {
    out += chars.charAt(Math.floor(Math.random() * chars.length));
  }
  return out;
}

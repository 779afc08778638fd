// The comparison view: two models paired on one task (`fabula/compare`, the statistics of
// `fabula compare`), as a page with no script. Every name and reason is escaped.

import type * as vscode from "vscode";
import { escapeHtml } from "./leaderboard";
import type { CompareDiff, CompareResult } from "./protocol";

/** A signed score difference: `+3.5`, `-0.2`, `0.0`. */
export function signed(value: number): string {
  const text = value.toFixed(1);
  return value > 0 && text !== "0.0" ? `+${text}` : text === "-0.0" ? "0.0" : text;
}

/** A p-value as the CLI prints it: `p < 0.001`, else three decimals. */
export function pValue(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}

/** One sentence that says what the difference means, for a reader new to the statistics. */
export function verdict(a: string, b: string, d: CompareDiff): string {
  const p = d.p_holm ?? d.p;
  const range = `B − A = ${signed(d.diff)} points, 95% interval ${signed(d.ci_low)} to ${signed(d.ci_high)}`;
  if (p < 0.05 && d.diff > 0) {
    return `${b} is better than ${a} on this task (${range}; ${pValue(p)}).`;
  }
  if (p < 0.05 && d.diff < 0) {
    return `${b} is worse than ${a} on this task (${range}; ${pValue(p)}).`;
  }
  return `No clear difference between ${a} and ${b} on this task (${range}; ${pValue(p)}: a difference this large happens often by chance).`;
}

function diffCells(d: CompareDiff): string {
  return [
    `<td class="num">${d.pairs}</td>`,
    `<td class="num">${d.a.toFixed(1)}</td>`,
    `<td class="num">${d.b.toFixed(1)}</td>`,
    `<td class="num"><strong>${signed(d.diff)}</strong></td>`,
    `<td>${signed(d.ci_low)} to ${signed(d.ci_high)}</td>`,
    `<td>${escapeHtml(pValue(d.p_holm ?? d.p))}${d.exact ? " (exact)" : ""}</td>`,
    `<td class="num">${d.wins} / ${d.ties} / ${d.losses}</td>`,
  ].join("");
}

const DIFF_HEAD =
  '<th class="num">pairs</th><th class="num">A</th><th class="num">B</th><th class="num">B − A</th><th>95% interval</th><th>p</th><th class="num">B wins / ties / losses</th>';

/** The page. `nonce` allows its one stylesheet; no script runs. */
export function compareHtml(c: CompareResult, nonce: string, cspSource: string): string {
  const a = escapeHtml(c.a);
  const b = escapeHtml(c.b);
  const summary =
    c.overall === undefined
      ? `<p class="lead">No sample of this task is complete for both models yet: nothing to compare. Run the task with both (the ▶ Run code lens).</p>`
      : `<p class="lead">${escapeHtml(verdict(c.a, c.b, c.overall))}</p>
<table id="overall"><thead><tr><th></th>${DIFF_HEAD}</tr></thead>
<tbody><tr><th>score</th>${diffCells(c.overall)}</tr></tbody></table>`;
  const missing =
    c.missing.length === 0
      ? ""
      : `<p class="note">Not paired: ${c.missing.map((m) => `${m.count} (${escapeHtml(m.why)})`).join("; ")}.</p>`;
  const criteria =
    c.criteria.length === 0
      ? ""
      : `<h2>By judge criterion</h2>
<p class="note">The judges' median verdict on each criterion, 0–100; p-values adjusted for testing several criteria (Holm).</p>
<table id="criteria"><thead><tr><th>criterion</th>${DIFF_HEAD}</tr></thead><tbody>
${c.criteria.map((r) => `<tr><th>${escapeHtml(r.criterion)}</th>${diffCells(r.diff)}</tr>`).join("\n")}
</tbody></table>`;
  const items =
    c.per_item.length === 0
      ? c.pairs > 0
        ? `<p class="note">Every pair scored the same.</p>`
        : ""
      : `<h2>Per sample</h2>
<table id="items"><thead><tr><th class="num">sample</th><th class="num">A</th><th class="num">B</th><th class="num">B − A</th><th>what moved</th></tr></thead><tbody>
${c.per_item
  .map(
    (i) =>
      `<tr><td class="num">${i.sample + 1}</td><td class="num">${i.a.toFixed(1)}</td><td class="num">${i.b.toFixed(1)}</td><td class="num"><strong>${signed(i.diff)}</strong></td><td>${escapeHtml(i.reason)}</td></tr>`,
  )
  .join("\n")}
</tbody></table>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; base-uri 'none'; form-action 'none';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Compare ${a} and ${b}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em 1.5em; max-width: 70em; }
  table { border-collapse: collapse; margin: 0.5em 0 1em; }
  th, td { border: 1px solid var(--vscode-panel-border, #8884); padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .lead { font-size: 1.1em; }
  .note { opacity: 0.85; }
</style>
</head>
<body>
<h1>${escapeHtml(c.task)}: ${b} (B) against ${a} (A)</h1>
${summary}
${missing}
${criteria}
${items}
<h2>How to read this</h2>
<ul class="note">
<li>Each sample of the task is scored 0–100 for both models; a <em>pair</em> is a sample both completed. B − A is the mean difference over the pairs.</li>
<li>The 95% interval comes from resampling the pairs (paired bootstrap). When it includes 0, the data cannot tell the two apart.</li>
<li>p is the paired permutation test of "no difference": the chance of a difference at least this large if the two were interchangeable. With few samples it cannot go low: run more samples (<code>samples</code> in fabula.yaml) for a firmer answer.</li>
<li>The same numbers as <code>fabula compare ${a} ${b} --task ${escapeHtml(c.task)}</code>.</li>
</ul>
</body>
</html>
`;
}

/** One reused webview panel for comparisons. */
export class CompareView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(private readonly api: typeof vscode) {}

  show(result: CompareResult, nonce: string): void {
    const title = `Compare: ${result.task}`;
    if (this.panel === undefined) {
      this.panel = this.api.window.createWebviewPanel(
        "fabula.compare",
        title,
        { viewColumn: this.api.ViewColumn.Beside, preserveFocus: false },
        { enableScripts: false, enableFindWidget: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    } else {
      this.panel.title = title;
      this.panel.reveal();
    }
    this.panel.webview.html = compareHtml(result, nonce, this.panel.webview.cspSource);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

// The report view: the page `fabula report` writes, built by the server (`fabula/report`)
// for a webview: its one script and stylesheet carry a fresh nonce, its policy loads
// nothing (the server writes it with `webview.cspSource`), and every model text in it was
// escaped by the report's templates. Opened at a task's drill-down from the task hover.

import { randomBytes } from "node:crypto";
import type * as vscode from "vscode";
import type { ReportParams, ReportResult } from "./protocol";

/** The parameters of `fabula/report` for a webview: the page's policy uses `nonce`. */
export function reportParams(task: string | undefined, nonce: string, cspSource: string): ReportParams {
  return { ...(task === undefined ? {} : { task }), webview: { nonce, cspSource } };
}

/** The panel's title: the task it was opened at, if any. */
export function reportTitle(task: string | undefined): string {
  return task === undefined ? "Fabula Report" : `Fabula Report: ${task}`;
}

/** A fresh nonce: 32 characters from a CSPRNG, base64url (what the server accepts). */
export function nonce(): string {
  return randomBytes(24).toString("base64url");
}

/** One reused webview panel for the report. */
export class ReportView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    private readonly api: typeof vscode,
    private readonly fetch: (params: ReportParams) => Promise<ReportResult>,
  ) {}

  /** Shows the report, at `task`'s drill-down when given (the page is built anew). */
  async show(task: string | undefined): Promise<ReportResult> {
    if (this.panel === undefined) {
      this.panel = this.api.window.createWebviewPanel(
        "fabula.report",
        reportTitle(task),
        { viewColumn: this.api.ViewColumn.Beside, preserveFocus: false },
        // Scripts for the page's own (nonce) script: filters, sorting, drill-downs. No
        // local resource: the page is one document.
        { enableScripts: true, enableFindWidget: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    } else {
      this.panel.title = reportTitle(task);
      this.panel.reveal();
    }
    const panel = this.panel;
    const result = await this.fetch(reportParams(task, nonce(), panel.webview.cspSource));
    panel.webview.html = result.html;
    return result;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

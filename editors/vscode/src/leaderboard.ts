// The leaderboard view: the server's markdown, rendered by VS Code's own markdown engine
// into one reused webview. Nothing here computes a score.

import type * as vscode from "vscode";

/** A webview page around already-rendered HTML; no script runs in it. */
export function leaderboardHtml(bodyHtml: string, cspSource: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline'; img-src ${cspSource} https: data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Fabula Leaderboard</title>
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em 1.5em; }
  table { border-collapse: collapse; margin: 1em 0; }
  th, td { border: 1px solid var(--vscode-panel-border, #8884); padding: 0.25em 0.6em; }
  th { text-align: left; background: var(--vscode-editor-lineHighlightBackground, transparent); }
  td { font-variant-numeric: tabular-nums; }
  pre { white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
</style>
</head>
<body>
${bodyHtml}
</body>
</html>
`;
}

/** Markdown as a `<pre>` block: what we show if the markdown extension is not there. */
export function plainHtml(markdown: string): string {
  return `<pre>${escapeHtml(markdown)}</pre>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class LeaderboardView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(private readonly api: typeof vscode) {}

  async show(markdown: string): Promise<void> {
    const body = await this.render(markdown);
    if (this.panel === undefined) {
      this.panel = this.api.window.createWebviewPanel(
        "fabula.leaderboard",
        "Fabula Leaderboard",
        { viewColumn: this.api.ViewColumn.Beside, preserveFocus: false },
        { enableScripts: false, enableFindWidget: true },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    } else {
      this.panel.reveal();
    }
    this.panel.webview.html = leaderboardHtml(body, this.panel.webview.cspSource);
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private async render(markdown: string): Promise<string> {
    try {
      // The built-in markdown extension's renderer: the same output as its preview.
      const html = await this.api.commands.executeCommand<string | undefined>("markdown.api.render", markdown);
      if (typeof html === "string") {
        return html;
      }
    } catch {
      // The markdown extension is disabled; fall through to plain text.
    }
    return plainHtml(markdown);
  }
}

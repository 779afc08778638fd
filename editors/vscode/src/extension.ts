// Entry point: wires the VS Code API to the controller and the commands. Everything with
// logic in it lives in modules that take the API as a parameter (see host.ts).

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { createLanguageClient } from "./client";
import { commandHandlers, registerCommands, type CommandContext } from "./commands";
import { Controller } from "./controller";
import { findServer, processDiscoveryInput } from "./discovery";
import type { Host } from "./host";
import { LeaderboardView } from "./leaderboard";
import { CompareView } from "./compare";
import { Method, type ReportResult, type SaveRankingResult } from "./protocol";
import { RankingView } from "./ranking";
import { nonce, ReportView } from "./report";

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("Fabula");
  const log = (line: string): void => {
    output.appendLine(`[client ${new Date().toISOString()}] ${line}`);
  };
  const status = vscode.window.createStatusBarItem("fabula.status", vscode.StatusBarAlignment.Left, 0);
  status.name = "Fabula";
  const leaderboard = new LeaderboardView(vscode);
  const host = vscodeHost();
  // Assigned below; the view only saves after the controller exists.
  let connection: () => ReturnType<Controller["connection"]> = () => undefined;
  const ranking = new RankingView(vscode, async (params) => {
    const server = connection();
    if (server === undefined) {
      throw new Error("the language server is not running");
    }
    return await server.request<SaveRankingResult>(Method.saveRanking, params);
  });

  const report = new ReportView(vscode, async (params) => {
    const server = connection();
    if (server === undefined) {
      throw new Error("the language server is not running");
    }
    return await server.request<ReportResult>(Method.report, params);
  });
  const comparison = new CompareView(vscode);

  const current = new Controller({
    host,
    discover: () =>
      findServer(
        processDiscoveryInput(
          vscode.workspace.getConfiguration("fabula").get<string>("server.path", ""),
          context.extensionPath,
          vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        ),
      ),
    createClient: (launch, options) => createLanguageClient(launch, options, output),
    baseEnv: process.env,
    onStatus: (presentation) => {
      status.text = presentation.text;
      status.tooltip = presentation.tooltip;
      status.command = presentation.command;
      status.backgroundColor = presentation.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
      status.show();
    },
    log,
    showOutput: () => {
      output.show(true);
    },
    openInstallHelp: async () => {
      // vsce stores the README as readme.md; a development checkout has README.md.
      const name = ["README.md", "readme.md"].find((file) => fs.existsSync(path.join(context.extensionPath, file)));
      if (name !== undefined) {
        await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.joinPath(context.extensionUri, name));
      }
    },
  });
  controller = current;
  connection = () => current.connection();

  const commandContext: CommandContext = {
    host,
    server: () => current.connection(),
    restartServer: () => current.restart(),
    showOutput: () => {
      output.show(true);
    },
    showLeaderboard: (markdown) => leaderboard.show(markdown),
    showRanking: (view) => {
      ranking.show(view);
    },
    showReport: async (task) => {
      const shown = await report.show(task);
      log(`report: ${shown.items} items of ${shown.models} model(s) on ${shown.tasks} task(s)${task === undefined ? "" : `, at ${task}`}`);
    },
    showComparison: (result) => {
      comparison.show(result, nonce());
    },
    log,
  };

  context.subscriptions.push(
    output,
    status,
    leaderboard,
    ranking,
    report,
    comparison,
    ...registerCommands(commandContext, commandHandlers(commandContext)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void current.onTrustGranted();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      void current.onConfigurationChanged((section) => event.affectsConfiguration(section));
    }),
  );

  // Not awaited: activation ends now, and the status bar shows how the start goes.
  void current.start();
}

export async function deactivate(): Promise<void> {
  const current = controller;
  controller = undefined;
  await current?.stop();
}

function vscodeHost(): Host {
  return {
    window: {
      get activeTextEditor() {
        return vscode.window.activeTextEditor;
      },
      showInformationMessage: async (message, ...items) => await vscode.window.showInformationMessage(message, ...items),
      showWarningMessage: async (message, ...items) => await vscode.window.showWarningMessage(message, ...items),
      showErrorMessage: async (message, ...items) => await vscode.window.showErrorMessage(message, ...items),
      showQuickPick: async (items, options) => await vscode.window.showQuickPick(items, options),
      showTextDocument: async (uri, options) => await vscode.window.showTextDocument(uri as vscode.Uri, options),
    },
    workspace: {
      get isTrusted() {
        return vscode.workspace.isTrusted;
      },
      get workspaceFolders() {
        return vscode.workspace.workspaceFolders;
      },
      getConfiguration: (section, scope) => vscode.workspace.getConfiguration(section, scope as vscode.Uri | undefined),
    },
    commands: {
      registerCommand: (command, callback) => vscode.commands.registerCommand(command, callback),
      executeCommand: async (command, ...rest) => await vscode.commands.executeCommand(command, ...rest),
    },
    parseUri: (value) => vscode.Uri.parse(value),
    fileUri: (path) => vscode.Uri.file(path),
  };
}

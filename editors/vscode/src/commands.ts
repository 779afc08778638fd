// The client commands: each asks the server, shows the answer. No YAML is read here; a
// task under the cursor is found through the server's own code lenses.

import {
  ClientCommand,
  isTaskLink,
  isTaskRef,
  Method,
  ServerCommand,
  type CheckSummary,
  type CompareResult,
  type LeaderboardResult,
  type ModelsResult,
  type RankingItemsResult,
  type ResultFilesResult,
  type RunParams,
  type RunResult,
  type TaskRef,
} from "./protocol";
import {
  errorMessage,
  isResponseError,
  REQUEST_CANCELLED,
  type CodeLensLike,
  type Disposable,
  type Host,
  type QuickPickItemLike,
  type ServerConnection,
  type UriLike,
} from "./host";

/** What the commands need besides the VS Code API. */
export interface CommandContext {
  host: Host;
  /** The running server, or undefined while it is starting, stopped or failed. */
  server(): ServerConnection | undefined;
  restartServer(): Promise<void>;
  showOutput(): void;
  showLeaderboard(markdown: string): Promise<void>;
  /** Opens the ranking view on a task sample's outputs. */
  showRanking(view: RankingItemsResult): void;
  /** Opens the report view (it asks the server for the page), at a task when given. */
  showReport(task: string | undefined): Promise<void>;
  /** Opens the comparison view. */
  showComparison(result: CompareResult): void;
  log(line: string): void;
}

export type CommandHandlers = Record<(typeof ClientCommand)[keyof typeof ClientCommand], (...args: unknown[]) => Promise<void>>;

/** The most result files one `fabula.openResults` opens as editors. */
export const MAX_OPENED_FILES = 12;

/** The handler of every client command (and nothing of the server's `fabula.server.*`). */
export function commandHandlers(cx: CommandContext): CommandHandlers {
  return {
    [ClientCommand.runTask]: async (...args) => {
      const targets = await targetTasks(cx, args[0], "cursor");
      if (targets !== undefined) {
        await runTasks(cx, targets);
      }
    },
    [ClientCommand.runFile]: async (...args) => {
      const targets = await targetTasks(cx, args[0], "file");
      if (targets !== undefined) {
        await runTasks(cx, targets);
      }
    },
    [ClientCommand.checkWorkspace]: () => checkWorkspace(cx),
    [ClientCommand.showLeaderboard]: () => showLeaderboard(cx),
    [ClientCommand.openResults]: (...args) => openResults(cx, args[0]),
    [ClientCommand.rankOutputs]: (...args) => rankOutputs(cx, args[0]),
    [ClientCommand.openReport]: (...args) => openReport(cx, args[0]),
    [ClientCommand.compareTask]: (...args) => compareTask(cx, args[0]),
    [ClientCommand.restartServer]: () => cx.restartServer(),
    [ClientCommand.showOutput]: () => {
      cx.showOutput();
      return Promise.resolve();
    },
  };
}

/**
 * Registers the handlers. A failing handler reports its error instead of leaving VS Code's
 * generic "command resulted in an error" message.
 */
export function registerCommands(cx: CommandContext, handlers: CommandHandlers): Disposable[] {
  return Object.entries(handlers).map(([id, handler]) =>
    cx.host.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await handler(...args);
      } catch (error) {
        cx.log(`${id} failed: ${errorMessage(error)}`);
        void cx.host.window.showErrorMessage(`Fabula: ${errorMessage(error)}`);
      }
    }),
  );
}

/** True when runs are allowed; otherwise tells the user why not and how to allow them. */
export async function ensureTrusted(host: Host): Promise<boolean> {
  if (host.workspace.isTrusted) {
    return true;
  }
  const manage = "Manage Workspace Trust";
  const choice = await host.window.showWarningMessage(
    "Fabula does not run tasks in an untrusted workspace: a run calls model providers with your keys. " +
      "Trust this workspace to run tasks.",
    manage,
  );
  if (choice === manage) {
    await host.commands.executeCommand("workbench.trust.manage");
  }
  return false;
}

/**
 * The tasks a command acts on: the code lens argument `{ uri, task }` when given, else the
 * task under the cursor (`cursor`) or every task of the active file (`file`).
 */
export async function targetTasks(
  cx: CommandContext,
  argument: unknown,
  scope: "cursor" | "file",
): Promise<TaskRef[] | undefined> {
  if (isTaskRef(argument)) {
    return [{ uri: argument.uri, task: argument.task }];
  }
  const editor = cx.host.window.activeTextEditor;
  if (editor === undefined) {
    void cx.host.window.showWarningMessage("Fabula: open a task file (dataset/tasks/<type>/<id>.yaml) first.");
    return undefined;
  }
  const uri = editor.document.uri;
  const lenses = await taskLenses(cx.host, uri);
  if (lenses.length > 0) {
    if (scope === "file") {
      return uniqueTasks(lenses.map((lens) => lens.task));
    }
    const line = editor.selection.active.line;
    const before = lenses.filter((lens) => lens.line <= line);
    const chosen = before.length > 0 ? before[before.length - 1] : lenses[0];
    return [chosen.task];
  }
  const fromPath = taskFromPath(uri);
  if (fromPath !== undefined) {
    return [fromPath];
  }
  void cx.host.window.showWarningMessage(
    "Fabula: no task in this file. Tasks live in dataset/tasks/<type>/<id>.yaml.",
  );
  return undefined;
}

/**
 * A task file's path names its task (the server's `path-mismatch` check keeps the two in
 * step), so when the server offers no code lens (`fabula.inlineScores: false`) the path
 * still tells which task this is, without reading the file.
 */
export function taskFromPath(uri: UriLike): TaskRef | undefined {
  const normalized = uri.fsPath.split("\\").join("/");
  const match = /\/dataset\/tasks\/[^/]+\/([^/]+)\.ya?ml$/.exec(normalized);
  if (match === null) {
    return undefined;
  }
  return { uri: uri.toString(), task: match[1] };
}

/** The models to run: `fabula.run.defaultModels` if set, else the user's pick. */
export async function chooseModels(cx: CommandContext, server: ServerConnection, scope: UriLike | undefined): Promise<string[] | undefined> {
  const configured = cx.host.workspace.getConfiguration("fabula", scope).get<string[]>("run.defaultModels", []);
  const defaults = configured.filter((name) => typeof name === "string" && name.trim() !== "");
  if (defaults.length > 0) {
    return defaults;
  }
  const { models } = await server.request<ModelsResult>(Method.models, {});
  const enabled = models.filter((model) => model.enabled);
  if (enabled.length === 0) {
    void cx.host.window.showWarningMessage(
      "Fabula: no enabled model in fabula.yaml. Set `enabled: true` on a model (or remove `enabled: false`).",
    );
    return undefined;
  }
  interface ModelItem extends QuickPickItemLike {
    models: string[];
  }
  const items: ModelItem[] = enabled.map((model) => ({
    label: model.name,
    description: model.simulated ? `${model.provider} · simulated` : model.provider,
    models: [model.name],
  }));
  if (enabled.length > 1) {
    items.push({
      label: "All enabled models",
      description: `${enabled.length} models`,
      models: enabled.map((model) => model.name),
    });
  }
  const picked = await cx.host.window.showQuickPick(items, {
    title: "Fabula: run with which model?",
    placeHolder: "Model from fabula.yaml (set fabula.run.defaultModels to skip this)",
    ignoreFocusOut: true,
  });
  return picked?.models;
}

/** Runs every task with every chosen model, one run at a time, and reports the results. */
export async function runTasks(cx: CommandContext, targets: TaskRef[]): Promise<void> {
  if (!(await ensureTrusted(cx.host))) {
    return;
  }
  const server = requireServer(cx);
  if (server === undefined || targets.length === 0) {
    return;
  }
  const models = await chooseModels(cx, server, cx.host.parseUri(targets[0].uri));
  if (models === undefined || models.length === 0) {
    return;
  }
  const results: RunResult[] = [];
  let failures = 0;
  for (const target of targets) {
    for (const model of models) {
      const params: RunParams = { uri: target.uri, task: target.task, model };
      try {
        const result = await server.executeCommand<RunResult>(ServerCommand.run, [params]);
        cx.log(`run ${target.task} with ${model}: ${result.message}`);
        results.push(result);
      } catch (error) {
        if (isResponseError(error) && error.code === REQUEST_CANCELLED) {
          cx.log(`run ${target.task} with ${model}: cancelled; the remaining runs are skipped`);
          return;
        }
        failures += 1;
        // The server shows its own errors (missing key, unknown model) with
        // window/showMessage; showing them again would only double the notification.
        cx.log(`run ${target.task} with ${model} failed: ${errorMessage(error)}`);
        if (!isResponseError(error)) {
          void cx.host.window.showErrorMessage(`Fabula: run of ${target.task} with ${model} failed: ${errorMessage(error)}`);
        }
      }
    }
  }
  await reportRuns(cx, results, failures);
}

export async function checkWorkspace(cx: CommandContext): Promise<void> {
  const server = requireServer(cx);
  if (server === undefined) {
    return;
  }
  const summary = await server.executeCommand<CheckSummary>(ServerCommand.checkWorkspace, []);
  const text =
    `Fabula checked ${plural(summary.files, "file")}: ` +
    `${plural(summary.errors, "error")}, ${plural(summary.warnings, "warning")}.`;
  const problems = "Show Problems";
  const show = summary.errors > 0 ? cx.host.window.showWarningMessage(text, problems) : cx.host.window.showInformationMessage(text, problems);
  if ((await show) === problems) {
    await cx.host.commands.executeCommand("workbench.actions.view.problems");
  }
}

export async function showLeaderboard(cx: CommandContext): Promise<void> {
  const server = requireServer(cx);
  if (server === undefined) {
    return;
  }
  const { markdown } = await server.request<LeaderboardResult>(Method.leaderboard, {});
  await cx.showLeaderboard(markdown);
}

/**
 * Opens the ranking view on the task under the cursor (or the code lens argument): its
 * outputs, blind, for the rater of `fabula.rater` (else the server asks git).
 */
export async function rankOutputs(cx: CommandContext, argument: unknown): Promise<void> {
  const server = requireServer(cx);
  if (server === undefined) {
    return;
  }
  const targets = await targetTasks(cx, argument, "cursor");
  if (targets === undefined) {
    return;
  }
  const [target] = targets;
  if (target === undefined) {
    return;
  }
  const rater = cx.host.workspace.getConfiguration("fabula").get<string>("rater", "").trim();
  const view = await server.request<RankingItemsResult>(Method.rankingItems, {
    task: target.task,
    ...(rater === "" ? {} : { rater }),
  });
  cx.showRanking(view);
}

/**
 * Opens the report. With the task hover's argument `{ task }` it opens at that task's
 * drill-down; from the command palette, at the overview.
 */
export async function openReport(cx: CommandContext, argument: unknown): Promise<void> {
  if (requireServer(cx) === undefined) {
    return;
  }
  await cx.showReport(isTaskLink(argument) ? argument.task : undefined);
}

/**
 * Compares two models on a task: the hover's `{ task }`, the code lens argument, or the
 * task under the cursor; the user picks the baseline (A), then the model to compare
 * with it (B).
 */
export async function compareTask(cx: CommandContext, argument: unknown): Promise<void> {
  const server = requireServer(cx);
  if (server === undefined) {
    return;
  }
  let task: string;
  if (isTaskLink(argument)) {
    task = argument.task;
  } else {
    const targets = await targetTasks(cx, argument, "cursor");
    if (targets === undefined || targets[0] === undefined) {
      return;
    }
    task = targets[0].task;
  }
  const pair = await chooseTwoModels(cx, server, task);
  if (pair === undefined) {
    return;
  }
  const [a, b] = pair;
  const result = await server.request<CompareResult>(Method.compare, { task, a, b });
  cx.showComparison(result);
}

/** The two models to compare: the baseline (A) first, then B among the rest. */
export async function chooseTwoModels(cx: CommandContext, server: ServerConnection, task: string): Promise<[string, string] | undefined> {
  const { models, writers } = await server.request<ModelsResult>(Method.models, {});
  const names = writers.length >= 2 ? writers : models.filter((model) => model.enabled).map((model) => model.name);
  if (names.length < 2) {
    void cx.host.window.showWarningMessage("Fabula: comparing needs two models in fabula.yaml; it has fewer enabled.");
    return undefined;
  }
  const items = (exclude?: string): QuickPickItemLike[] =>
    names.filter((name) => name !== exclude).map((name) => {
      const info = models.find((model) => model.name === name);
      return { label: name, description: info?.simulated === true ? `${info.provider} · simulated` : info?.provider };
    });
  const a = await cx.host.window.showQuickPick(items(), {
    title: `Fabula: compare on ${task}: 1/2, the baseline (A)`,
    placeHolder: "The model to compare against",
    ignoreFocusOut: true,
  });
  if (a === undefined) {
    return undefined;
  }
  const b = await cx.host.window.showQuickPick(items(a.label), {
    title: `Fabula: compare on ${task}: 2/2, compared with ${a.label} (B)`,
    placeHolder: "The model whose difference from A to show (B − A)",
    ignoreFocusOut: true,
  });
  return b === undefined ? undefined : [a.label, b.label];
}

export async function openResults(cx: CommandContext, argument: unknown): Promise<void> {
  const server = requireServer(cx);
  if (server === undefined) {
    return;
  }
  const targets = await targetTasks(cx, argument, "cursor");
  if (targets === undefined) {
    return;
  }
  const [target] = targets;
  const model = modelOf(argument);
  const params = model === undefined ? { task: target.task } : { task: target.task, model };
  const { files } = await server.request<ResultFilesResult>(Method.resultFiles, params);
  if (files.length === 0) {
    const run = "Run Task";
    const choice = await cx.host.window.showInformationMessage(`Fabula: no results yet for ${target.task}.`, run);
    if (choice === run) {
      await runTasks(cx, [target]);
    }
    return;
  }
  await openFiles(cx, files);
}

async function reportRuns(cx: CommandContext, results: RunResult[], failures: number): Promise<void> {
  if (results.length === 0) {
    return;
  }
  const open = "Open Results";
  const text =
    results.length === 1 && failures === 0
      ? `Fabula: ${results[0].message}`
      : `Fabula: ${plural(results.length, "run")} finished` +
        (failures > 0 ? `, ${failures} failed (see the Fabula output)` : "") +
        `. ${results.map((result) => `${result.task} · ${result.model} ${formatScore(result.final)}`).join("; ")}`;
  const choice = await cx.host.window.showInformationMessage(text, open);
  if (choice === open) {
    await openFiles(cx, results.flatMap((result) => result.files));
  }
}

async function openFiles(cx: CommandContext, files: string[]): Promise<void> {
  const shown = files.slice(0, MAX_OPENED_FILES);
  for (const file of shown) {
    await cx.host.window.showTextDocument(cx.host.fileUri(file), { preview: false });
  }
  if (files.length > shown.length) {
    cx.log(`opened ${shown.length} of ${files.length} result files:\n  ${files.join("\n  ")}`);
    void cx.host.window.showInformationMessage(
      `Fabula: opened ${shown.length} of ${files.length} result files; the Fabula output lists them all.`,
    );
  }
}

function requireServer(cx: CommandContext): ServerConnection | undefined {
  const server = cx.server();
  if (server === undefined) {
    const restart = "Restart Server";
    const log = "Show Log";
    void cx.host.window
      .showErrorMessage("Fabula: the language server is not running.", restart, log)
      .then((choice) => {
        if (choice === restart) {
          void cx.restartServer();
        } else if (choice === log) {
          cx.showOutput();
        }
      });
  }
  return server;
}

interface TaskLens {
  line: number;
  task: TaskRef;
}

async function taskLenses(host: Host, uri: UriLike): Promise<TaskLens[]> {
  let lenses: CodeLensLike[] | undefined;
  try {
    lenses = await host.commands.executeCommand<CodeLensLike[] | undefined>("vscode.executeCodeLensProvider", uri);
  } catch {
    return [];
  }
  const found: TaskLens[] = [];
  for (const lens of lenses ?? []) {
    const argument = lens.command?.arguments?.[0];
    if (lens.command?.command === ClientCommand.runTask && isTaskRef(argument)) {
      found.push({ line: lens.range.start.line, task: { uri: argument.uri, task: argument.task } });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function uniqueTasks(tasks: TaskRef[]): TaskRef[] {
  const seen = new Set<string>();
  return tasks.filter((task) => {
    const key = `${task.uri}\n${task.task}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

function modelOf(argument: unknown): string | undefined {
  if (typeof argument === "object" && argument !== null) {
    const model = (argument as Record<string, unknown>).model;
    if (typeof model === "string") {
      return model;
    }
  }
  return undefined;
}

function formatScore(score: number | null): string {
  return score === null ? "unscored" : score.toFixed(1);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

// What fabula-lsp speaks beyond standard LSP: names and shapes from server/PROTOCOL.md.
// This is the only file that spells them; change it together with that page.

/** Client commands the extension registers (and contributes in package.json). */
export const ClientCommand = {
  runTask: "fabula.runTask",
  runFile: "fabula.runFile",
  checkWorkspace: "fabula.checkWorkspace",
  showLeaderboard: "fabula.showLeaderboard",
  openResults: "fabula.openResults",
  restartServer: "fabula.restartServer",
  showOutput: "fabula.showOutput",
} as const;

/**
 * The server's `workspace/executeCommand` ids. vscode-languageclient registers them as
 * client commands on its own, so the extension must never register them itself.
 */
export const ServerCommand = {
  run: "fabula.server.run",
  rejudge: "fabula.server.rejudge",
  checkWorkspace: "fabula.server.checkWorkspace",
  newTask: "fabula.server.newTask",
  draft: "fabula.server.draft",
} as const;

export const Method = {
  models: "fabula/models",
  resultFiles: "fabula/resultFiles",
  leaderboard: "fabula/leaderboard",
  runs: "fabula/runs",
  executeCommand: "workspace/executeCommand",
} as const;

/** A task to run or inspect: the code lens argument of `fabula.runTask`. */
export interface TaskRef {
  uri: string;
  task: string;
}

export interface RunParams extends TaskRef {
  model: string;
  judges?: string[];
}

export interface RunResult {
  task: string;
  model: string;
  final: number | null;
  passed: boolean | null;
  files: string[];
  message: string;
}

export interface CheckSummary {
  files: number;
  errors: number;
  warnings: number;
}

export interface ModelInfo {
  name: string;
  provider: string;
  enabled: boolean;
  simulated: boolean;
}

export interface ModelsResult {
  models: ModelInfo[];
  judges: string[];
}

export interface ResultFilesParams {
  task: string;
  model?: string;
}

export interface ResultFilesResult {
  files: string[];
}

export interface LeaderboardResult {
  markdown: string;
}

export interface ActiveRun {
  task: string;
  model: string;
}

export interface RunsParams {
  active: ActiveRun[];
}

/** `initializationOptions` the server reads (PROTOCOL.md, "Starting it"). */
export interface InitializationOptions {
  inlineScores: boolean;
  trusted: boolean;
}

/** True when `value` has the shape of a code lens argument `{ uri, task }`. */
export function isTaskRef(value: unknown): value is TaskRef {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const record = value as Record<string, unknown>;
  return typeof record.uri === "string" && typeof record.task === "string";
}

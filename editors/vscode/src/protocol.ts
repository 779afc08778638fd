// What fabula-lsp speaks beyond standard LSP. The shapes and method names are generated
// from the server's Rust types (server/src/protocol.rs) into protocol.generated.ts, which
// a server test keeps current; this file adds what only the extension knows.

export type {
  ActiveRun,
  CheckSummary,
  CompareCriterion,
  CompareDiff,
  CompareMissing,
  CompareParams,
  CompareResult,
  ComparedItem,
  InitializationOptions,
  LeaderboardResult,
  ModelInfo,
  ModelsResult,
  RankingItem,
  RankingItemsParams,
  RankingItemsResult,
  RankingTurn,
  ReportParams,
  ReportResult,
  ResultFilesParams,
  ResultFilesResult,
  RunArgs as RunParams,
  RunResult,
  RunsParams,
  SaveRankingParams,
  SaveRankingResult,
  TaskLink,
  TaskRef,
  WebviewHost,
} from "./protocol.generated";
export { HoverCommand, LensCommand, ServerCommand } from "./protocol.generated";
import { HoverCommand, type TaskLink, type TaskRef } from "./protocol.generated";
import { Method as ServerMethod } from "./protocol.generated";

/** Client commands the extension registers (and contributes in package.json). */
export const ClientCommand = {
  runTask: "fabula.runTask",
  runFile: "fabula.runFile",
  checkWorkspace: "fabula.checkWorkspace",
  showLeaderboard: "fabula.showLeaderboard",
  openResults: "fabula.openResults",
  rankOutputs: "fabula.rankOutputs",
  openReport: "fabula.openReport",
  compareTask: "fabula.compareTask",
  restartServer: "fabula.restartServer",
  showOutput: "fabula.showOutput",
} as const;

/** The only commands a hover's Markdown may run (the task hover's links). */
export const HOVER_COMMANDS: readonly string[] = Object.values(HoverCommand);

/** The server's custom methods, and the standard one the extension calls by name. */
export const Method = {
  ...ServerMethod,
  executeCommand: "workspace/executeCommand",
} as const;

/** True when `value` has the shape of a code lens argument `{ uri, task }`. */
export function isTaskRef(value: unknown): value is TaskRef {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const record = value as Record<string, unknown>;
  return typeof record.uri === "string" && typeof record.task === "string";
}

/** True when `value` has the shape of a hover link's argument `{ task }`. */
export function isTaskLink(value: unknown): value is TaskLink {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  return typeof (value as Record<string, unknown>).task === "string";
}

// Generated from server/src/protocol.rs by its test `typescript_types_are_generated`:
// do not edit. `FABULA_BLESS=1 cargo test -p fabula-lsp --lib protocol` rewrites it.

export type Empty = Record<string, never>;

export type InitializationOptions = { 
/**
 * Code lenses with scores (default true).
 */
inlineScores?: boolean, 
/**
 * Runs allowed (default false).
 */
trusted?: boolean, };

export type TaskRef = { uri: string, task: string, };

export type TaskLink = { task: string, };

export type RunArgs = { uri?: string, task: string, model: string, 
/**
 * The judges to use; default: `fabula.yaml`'s.
 */
judges?: Array<string>, };

export type RunResult = { task: string, model: string, 
/**
 * Final score on 0..=100, the one scale (the code lens and `fabula leaderboard` show
 * it the same way).
 */
final: number | null, passed: boolean | null, 
/**
 * Absolute paths of the records written.
 */
files: Array<string>, 
/**
 * A sentence for the user.
 */
message: string, };

export type CheckSummary = { files: number, errors: number, warnings: number, };

export type ModelsResult = { models: Array<ModelInfo>, 
/**
 * `fabula.yaml`'s judges.
 */
judges: Array<string>, 
/**
 * The models a run uses by default (enabled, not only a judge or a role).
 */
writers: Array<string>, };

export type ModelInfo = { name: string, provider: string, enabled: boolean, 
/**
 * Served by the offline simulator.
 */
simulated: boolean, };

export type ResultFilesParams = { task: string, 
/**
 * Only this model's records; default: every model's.
 */
model?: string, };

export type ResultFilesResult = { 
/**
 * Absolute paths.
 */
files: Array<string>, };

export type LeaderboardResult = { 
/**
 * The table `fabula leaderboard --format markdown` prints.
 */
markdown: string, };

export type ReportParams = { 
/**
 * Open the page at this task's drill-down.
 */
task?: string, 
/**
 * Shown in a VS Code webview: the page's policy then allows its one script and
 * stylesheet by this nonce (instead of by hash) and the webview's own source for
 * styles and images. Without it, the page is the file `fabula report` writes.
 */
webview?: WebviewHost, };

export type WebviewHost = { 
/**
 * Fresh for each page; 16 or more base64 characters.
 */
nonce: string, 
/**
 * `webview.cspSource`.
 */
cspSource: string, };

export type ReportResult = { 
/**
 * The whole page.
 */
html: string, 
/**
 * Item rows (task × model × sample), models and tasks with a drill-down.
 */
items: number, models: number, tasks: number, };

export type CompareParams = { task: string, 
/**
 * The baseline model.
 */
a: string, 
/**
 * The model compared with it: differences are B − A.
 */
b: string, };

export type CompareResult = { task: string, a: string, b: string, 
/**
 * The task's items (samples) and how many are complete on both sides.
 */
items: number, pairs: number, 
/**
 * Items that are no pair, counted by why (e.g. "B: not generated").
 */
missing: Array<CompareMissing>, 
/**
 * B − A over the pairs; none without a pair.
 */
overall?: CompareDiff, 
/**
 * The same on each judge criterion (median verdict × 100), Holm-adjusted across them.
 */
criteria: Array<CompareCriterion>, 
/**
 * Every pair, the largest difference first, with a one-line reason.
 */
per_item: Array<ComparedItem>, };

export type CompareMissing = { why: string, count: number, };

export type CompareDiff = { pairs: number, 
/**
 * Mean scores (0-100) of A and B over the pairs.
 */
a: number, b: number, 
/**
 * Mean of B − A, with its paired bootstrap 95% interval.
 */
diff: number, ci_low: number, ci_high: number, 
/**
 * Two-sided paired sign-flip permutation test; `exact` when every sign pattern was
 * enumerated.
 */
p: number, exact: boolean, 
/**
 * Holm-adjusted p (criteria only).
 */
p_holm?: number, 
/**
 * Counted from B's side.
 */
wins: number, ties: number, losses: number, };

export type CompareCriterion = { criterion: string, diff: CompareDiff, };

export type ComparedItem = { sample: number, a: number, b: number, diff: number, reason: string, };

export type RunsParams = { active: Array<ActiveRun>, };

export type ActiveRun = { task: string, model: string, };

export type RankingItemsParams = { task: string, 
/**
 * The sample to rank; default: the first with outputs of two or more models.
 */
sample?: number, 
/**
 * Who ranks (the extension's `fabula.rater` setting); default: `git config
 * user.email` in the project. Seeds the order.
 */
rater?: string, };

export type RankingItemsResult = { task: string, sample: number, 
/**
 * Every sample of the task that can be ranked.
 */
samples: Array<number>, 
/**
 * The shuffle's seed: sent back with the ranking.
 */
seed: string, rater: string, 
/**
 * The task as a judge reads it: the brief, the beats, the constraints.
 */
brief: string, 
/**
 * The outputs in the order to show them; no model name anywhere.
 */
items: Array<RankingItem>, };

export type RankingItem = { 
/**
 * The anonymised id (a hash of the seed and the record).
 */
id: string, 
/**
 * The final text.
 */
text: string, 
/**
 * The turns of an agentic task (empty for one-request tasks): who spoke (`harness`,
 * `writer`, `oracle`, `critic`, `feedback`) and what.
 */
transcript: Array<RankingTurn>, };

export type RankingTurn = { actor: string, content: string, };

export type SaveRankingParams = { task: string, sample: number, 
/**
 * The seed `fabula/rankingItems` answered.
 */
seed: string, 
/**
 * Output ids in rank groups, best first; the ids of one group are tied.
 */
ranks: Array<Array<string>>, note: string, 
/**
 * Default: `git config user.email` in the project.
 */
rater?: string, };

export type SaveRankingResult = { 
/**
 * The record written (absolute path).
 */
file: string, 
/**
 * Kendall's tau-b of this ranking against the judges' median order, when the
 * outputs are scored.
 */
median_tau?: number, };

export const Method = {
  models: "fabula/models",
  resultFiles: "fabula/resultFiles",
  leaderboard: "fabula/leaderboard",
  rankingItems: "fabula/rankingItems",
  saveRanking: "fabula/saveRanking",
  report: "fabula/report",
  compare: "fabula/compare",
  runs: "fabula/runs",
} as const;

export const ServerCommand = {
  run: "fabula.server.run",
  rejudge: "fabula.server.rejudge",
  checkWorkspace: "fabula.server.checkWorkspace",
  newTask: "fabula.server.newTask",
  draft: "fabula.server.draft",
} as const;

export const LensCommand = {
  runTask: "fabula.runTask",
} as const;

export const HoverCommand = {
  openReport: "fabula.openReport",
  compareTask: "fabula.compareTask",
} as const;

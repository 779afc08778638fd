//! Everything `fabula-lsp` speaks beyond standard LSP, as types: the custom requests and
//! notification, the `workspace/executeCommand` commands and their arguments and results,
//! the initialization options and the code lens argument. The one place these shapes are
//! spelled in Rust (rust-analyzer's `lsp/ext.rs`).
//!
//! Two tests keep the other spellings true: `PROTOCOL.md` carries a hash of this file, so
//! changing a shape here without reading the page again fails; and the extension's
//! TypeScript types (`editors/vscode/src/protocol.generated.ts`) are generated from these
//! types and must be committed as generated.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::request::Request;

/// `fabula/models`: the models of `fabula.yaml`, for a client's model picker.
#[derive(Debug)]
pub enum Models {}

impl Request for Models {
    type Params = Empty;
    type Result = ModelsResult;
    const METHOD: &'static str = "fabula/models";
}

/// `fabula/resultFiles`: the record files behind a task's latest scores.
#[derive(Debug)]
pub enum ResultFiles {}

impl Request for ResultFiles {
    type Params = ResultFilesParams;
    type Result = ResultFilesResult;
    const METHOD: &'static str = "fabula/resultFiles";
}

/// `fabula/leaderboard`: the leaderboard as Markdown.
#[derive(Debug)]
pub enum Leaderboard {}

impl Request for Leaderboard {
    type Params = Empty;
    type Result = LeaderboardResult;
    const METHOD: &'static str = "fabula/leaderboard";
}

/// `fabula/rankingItems`: a task sample's outputs for a person to rank, blind (no model
/// names, shuffled with a seed of this view's own).
#[derive(Debug)]
pub enum RankingItems {}

impl Request for RankingItems {
    type Params = RankingItemsParams;
    type Result = RankingItemsResult;
    const METHOD: &'static str = "fabula/rankingItems";
}

/// `fabula/saveRanking`: store a person's ranking of the outputs `fabula/rankingItems`
/// gave, as a record under `results/rankings/`.
#[derive(Debug)]
pub enum SaveRanking {}

impl Request for SaveRanking {
    type Params = SaveRankingParams;
    type Result = SaveRankingResult;
    const METHOD: &'static str = "fabula/saveRanking";
}

/// `fabula/report`: the HTML report `fabula report` writes, for a webview, optionally
/// opened at a task's drill-down.
#[derive(Debug)]
pub enum Report {}

impl Request for Report {
    type Params = ReportParams;
    type Result = ReportResult;
    const METHOD: &'static str = "fabula/report";
}

/// `fabula/compare`: two models paired on one task's items, with the statistics of
/// `fabula compare`.
#[derive(Debug)]
pub enum Compare {}

impl Request for Compare {
    type Params = CompareParams;
    type Result = CompareResult;
    const METHOD: &'static str = "fabula/compare";
}

/// `fabula/runs` (server → client): the runs in flight, sent when one starts or ends.
#[derive(Debug)]
pub enum Runs {}

impl Notification for Runs {
    type Params = RunsParams;
    const METHOD: &'static str = "fabula/runs";
}

/// The `workspace/executeCommand` commands the server offers.
pub mod command {
    /// Run a task with a model: [`super::RunArgs`] → [`super::RunResult`].
    pub const RUN: &str = "fabula.server.run";
    /// Judge a model's latest result again: [`super::RunArgs`] → [`super::RunResult`].
    pub const REJUDGE: &str = "fabula.server.rejudge";
    /// Re-read the project from disk and count findings: → [`super::CheckSummary`].
    pub const CHECK_WORKSPACE: &str = "fabula.server.checkWorkspace";
    /// Write a task skeleton (like `fabula new`): [`super::NewTaskArgs`] → the new
    /// file's path.
    pub const NEW_TASK: &str = "fabula.server.newTask";
    /// Draft tasks similar to one with a model (like `fabula draft`):
    /// [`super::DraftArgs`] → kept and rejected drafts.
    pub const DRAFT: &str = "fabula.server.draft";
    /// Every command, as announced at `initialize`.
    pub const ALL: &[&str] = &[RUN, REJUDGE, CHECK_WORKSPACE, NEW_TASK, DRAFT];
    /// The code lens's command: a *client* command (the extension's model picker), with a
    /// [`super::TaskRef`] argument.
    pub const RUN_TASK: &str = "fabula.runTask";
    /// The task hover's link to the report at that task's drill-down: a *client* command
    /// with a [`super::TaskLink`] argument.
    pub const OPEN_REPORT: &str = "fabula.openReport";
    /// The task hover's link to compare two models on that task: a *client* command (the
    /// extension asks which two) with a [`super::TaskLink`] argument.
    pub const COMPARE_TASK: &str = "fabula.compareTask";
}

/// Parameters of a request that takes none (`{}`; `null` is accepted too).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Empty {}

/// `initializationOptions`. Both optional; a client that sends none gets inline scores
/// and no runs (a run spends money, so it needs the client to say the workspace is
/// trusted).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct InitializationOptions {
    /// Code lenses with scores (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub inline_scores: Option<bool>,
    /// Runs allowed (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub trusted: Option<bool>,
}

/// A task to run or inspect: the code lens argument of [`command::RUN_TASK`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TaskRef {
    pub uri: String,
    pub task: String,
}

/// The argument of the hover's links ([`command::OPEN_REPORT`], [`command::COMPARE_TASK`]).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TaskLink {
    pub task: String,
}

/// Arguments of [`command::RUN`] and [`command::REJUDGE`].
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub uri: Option<String>,
    pub task: String,
    pub model: String,
    /// The judges to use; default: `fabula.yaml`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub judges: Option<Vec<String>>,
}

/// What a run or a re-judge answers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunResult {
    pub task: String,
    pub model: String,
    /// Final score on 0..=100, the one scale (the code lens and `fabula leaderboard` show
    /// it the same way).
    #[serde(rename = "final")]
    pub final_score: Option<f64>,
    pub passed: Option<bool>,
    /// Absolute paths of the records written.
    #[cfg_attr(test, ts(as = "Vec<String>"))]
    pub files: Vec<PathBuf>,
    /// A sentence for the user.
    pub message: String,
}

/// What [`command::CHECK_WORKSPACE`] answers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CheckSummary {
    pub files: u32,
    pub errors: u32,
    pub warnings: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ModelsResult {
    pub models: Vec<ModelInfo>,
    /// `fabula.yaml`'s judges.
    pub judges: Vec<String>,
    /// The models a run uses by default (enabled, not only a judge or a role).
    pub writers: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ModelInfo {
    pub name: String,
    pub provider: String,
    pub enabled: bool,
    /// Served by the offline simulator.
    pub simulated: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ResultFilesParams {
    pub task: String,
    /// Only this model's records; default: every model's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub model: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ResultFilesResult {
    /// Absolute paths.
    pub files: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LeaderboardResult {
    /// The table `fabula leaderboard --format markdown` prints.
    pub markdown: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReportParams {
    /// Open the page at this task's drill-down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub task: Option<String>,
    /// Shown in a VS Code webview: the page's policy then allows its one script and
    /// stylesheet by this nonce (instead of by hash) and the webview's own source for
    /// styles and images. Without it, the page is the file `fabula report` writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub webview: Option<WebviewHost>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WebviewHost {
    /// Fresh for each page; 16 or more base64 characters.
    pub nonce: String,
    /// `webview.cspSource`.
    pub csp_source: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReportResult {
    /// The whole page.
    pub html: String,
    /// Item rows (task × model × sample), models and tasks with a drill-down.
    pub items: u32,
    pub models: u32,
    pub tasks: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CompareParams {
    pub task: String,
    /// The baseline model.
    pub a: String,
    /// The model compared with it: differences are B − A.
    pub b: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CompareResult {
    pub task: String,
    pub a: String,
    pub b: String,
    /// The task's items (samples) and how many are complete on both sides.
    pub items: u32,
    pub pairs: u32,
    /// Items that are no pair, counted by why (e.g. "B: not generated").
    pub missing: Vec<CompareMissing>,
    /// B − A over the pairs; none without a pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub overall: Option<CompareDiff>,
    /// The same on each judge criterion (median verdict × 100), Holm-adjusted across them.
    pub criteria: Vec<CompareCriterion>,
    /// Every pair, the largest difference first, with a one-line reason.
    pub per_item: Vec<ComparedItem>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CompareMissing {
    pub why: String,
    pub count: u32,
}

/// A paired difference: `fabula_eval::compare::Diff`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CompareDiff {
    pub pairs: u32,
    /// Mean scores (0-100) of A and B over the pairs.
    pub a: f64,
    pub b: f64,
    /// Mean of B − A, with its paired bootstrap 95% interval.
    pub diff: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided paired sign-flip permutation test; `exact` when every sign pattern was
    /// enumerated.
    pub p: f64,
    pub exact: bool,
    /// Holm-adjusted p (criteria only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub p_holm: Option<f64>,
    /// Counted from B's side.
    pub wins: u32,
    pub ties: u32,
    pub losses: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CompareCriterion {
    pub criterion: String,
    pub diff: CompareDiff,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ComparedItem {
    pub sample: u32,
    pub a: f64,
    pub b: f64,
    pub diff: f64,
    pub reason: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunsParams {
    pub active: Vec<ActiveRun>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ActiveRun {
    pub task: String,
    pub model: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RankingItemsParams {
    pub task: String,
    /// The sample to rank; default: the first with outputs of two or more models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub sample: Option<u32>,
    /// Who ranks (the extension's `fabula.rater` setting); default: `git config
    /// user.email` in the project. Seeds the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub rater: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RankingItemsResult {
    pub task: String,
    pub sample: u32,
    /// Every sample of the task that can be ranked.
    pub samples: Vec<u32>,
    /// The shuffle's seed: sent back with the ranking.
    pub seed: String,
    pub rater: String,
    /// The task as a judge reads it: the brief, the beats, the constraints.
    pub brief: String,
    /// The outputs in the order to show them; no model name anywhere.
    pub items: Vec<RankingItem>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RankingItem {
    /// The anonymised id (a hash of the seed and the record).
    pub id: String,
    /// The final text.
    pub text: String,
    /// The turns of an agentic task (empty for one-request tasks): who spoke (`harness`,
    /// `writer`, `oracle`, `critic`, `feedback`) and what.
    pub transcript: Vec<RankingTurn>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RankingTurn {
    pub actor: String,
    pub content: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SaveRankingParams {
    pub task: String,
    pub sample: u32,
    /// The seed `fabula/rankingItems` answered.
    pub seed: String,
    /// Output ids in rank groups, best first; the ids of one group are tied.
    pub ranks: Vec<Vec<String>>,
    #[serde(default)]
    pub note: String,
    /// Default: `git config user.email` in the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub rater: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SaveRankingResult {
    /// The record written (absolute path).
    pub file: String,
    /// Kendall's tau-b of this ranking against the judges' median order, when the
    /// outputs are scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub median_tau: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ts_rs::TS;

    fn repo() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    /// FNV-1a: stable across Rust versions (std's hasher is not), which a hash written in
    /// a document must be.
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// rust-analyzer's rule: the protocol's Rust types and its page change together. When
    /// this fails, update `server/PROTOCOL.md` to what this file now says, then the hash.
    #[test]
    fn protocol_md_is_read_again_when_the_protocol_changes() {
        let source = std::fs::read_to_string(repo().join("server/src/protocol.rs")).unwrap();
        // Line endings do not change the protocol (a Windows checkout).
        let hash = format!("{:016x}", fnv(source.replace("\r\n", "\n").as_bytes()));
        let page = std::fs::read_to_string(repo().join("server/PROTOCOL.md")).unwrap();
        let line = format!("protocol.rs hash: {hash}");
        assert!(
            page.contains(&line),
            "server/src/protocol.rs changed: bring server/PROTOCOL.md up to date with it, \
             then set its line `protocol.rs hash: …` to `{line}`"
        );
    }

    fn generated() -> String {
        let mut out = String::from(
            "// Generated from server/src/protocol.rs by its test `typescript_types_are_generated`:\n\
             // do not edit. `FABULA_BLESS=1 cargo test -p fabula-lsp --lib protocol` rewrites it.\n\n",
        );
        let decls = [
            Empty::decl(),
            InitializationOptions::decl(),
            TaskRef::decl(),
            TaskLink::decl(),
            RunArgs::decl(),
            RunResult::decl(),
            CheckSummary::decl(),
            ModelsResult::decl(),
            ModelInfo::decl(),
            ResultFilesParams::decl(),
            ResultFilesResult::decl(),
            LeaderboardResult::decl(),
            ReportParams::decl(),
            WebviewHost::decl(),
            ReportResult::decl(),
            CompareParams::decl(),
            CompareResult::decl(),
            CompareMissing::decl(),
            CompareDiff::decl(),
            CompareCriterion::decl(),
            ComparedItem::decl(),
            RunsParams::decl(),
            ActiveRun::decl(),
            RankingItemsParams::decl(),
            RankingItemsResult::decl(),
            RankingItem::decl(),
            RankingTurn::decl(),
            SaveRankingParams::decl(),
            SaveRankingResult::decl(),
        ];
        for decl in decls {
            out.push_str("export ");
            out.push_str(&decl);
            out.push_str("\n\n");
        }
        let consts = |name: &str, pairs: &[(&str, &str)]| {
            let mut s = format!("export const {name} = {{\n");
            for (k, v) in pairs {
                s.push_str(&format!("  {k}: \"{v}\",\n"));
            }
            s.push_str("} as const;\n\n");
            s
        };
        out.push_str(&consts(
            "Method",
            &[
                ("models", Models::METHOD),
                ("resultFiles", ResultFiles::METHOD),
                ("leaderboard", Leaderboard::METHOD),
                ("rankingItems", RankingItems::METHOD),
                ("saveRanking", SaveRanking::METHOD),
                ("report", Report::METHOD),
                ("compare", Compare::METHOD),
                ("runs", Runs::METHOD),
            ],
        ));
        out.push_str(&consts(
            "ServerCommand",
            &[
                ("run", command::RUN),
                ("rejudge", command::REJUDGE),
                ("checkWorkspace", command::CHECK_WORKSPACE),
                ("newTask", command::NEW_TASK),
                ("draft", command::DRAFT),
            ],
        ));
        out.push_str(&consts("LensCommand", &[("runTask", command::RUN_TASK)]));
        out.push_str(&consts(
            "HoverCommand",
            &[
                ("openReport", command::OPEN_REPORT),
                ("compareTask", command::COMPARE_TASK),
            ],
        ));
        out.trim_end().to_owned() + "\n"
    }

    /// The extension's types are these types: generated, committed, and checked here, so
    /// a change on one side cannot leave the other behind (the extension's typecheck then
    /// finds every use that no longer fits).
    #[test]
    fn typescript_types_are_generated() {
        let path = repo().join("editors/vscode/src/protocol.generated.ts");
        let want = generated();
        if std::env::var_os("FABULA_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `FABULA_BLESS=1 cargo test -p fabula-lsp --lib protocol`",
            path.display()
        );
    }
}

//! Command-line arguments (clap). The help texts are the tool's manual: keep them useful.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
A Fabula project is a folder with fabula.yaml at its root (models, judges, settings),
dataset/ (theories/, tasks/<type>/, slop.yaml) and results/. Commands find the project
by walking up from the current folder (or from the first PATH) to fabula.yaml.

Exit codes:
  0  success: the planned work is complete and stored; no findings
  1  findings, or failed or unfinished work: errors in checked files (with --strict,
     warnings too); failed records, a budget stop, an interrupt, calls a provider
     refused; stored failures a run did not retry; a model under --fail-under
  2  usage or configuration error: bad arguments, missing paths, no fabula.yaml, a
     missing API key, tasks with errors (without --skip-invalid)
  3  the results store could not be read or written (permissions, a full disk)

Logs: FABULA_LOG=debug (or RUST_LOG) prints what the engine does to stderr.

Examples:
  fabula check                      check fabula.yaml and the whole dataset
  fabula run                        run the benchmark (offline `sim` models by default)
  fabula run --dry-run              what a run would do, with estimated cost
  fabula leaderboard                scores per model and task type
  fabula export --format csv > verdicts.csv
  fabula report                     one HTML page: charts, drill-down, transcripts";

#[derive(Debug, Parser)]
#[command(
    name = "fabula",
    version,
    about = "Fabula: a benchmark of how well language models write to story structure",
    long_about = "Fabula: a benchmark of how well language models write to story structure.\n\n\
                  Tasks (YAML under dataset/tasks/) ask a model to write to the beats of a story \
                  theory (dataset/theories/); several LLM judges score each output.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check tasks, theories, fabula.yaml and the slop list: YAML syntax, schema, and
    /// semantic checks (unknown beats, beat order, duplicate ids, budgets, …).
    #[command(after_help = CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// Run the benchmark: generate what is missing or stale, judge it, store every
    /// result under results/ the moment it exists, then print the leaderboard.
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Summarise the results store: records per model, failed and stale ones; with -v,
    /// failures grouped by reason with an example of each.
    Status(StatusArgs),
    /// List the work a run would do (missing or stale generations and evaluations).
    Missing(MissingArgs),
    /// Delete failed records so the next run retries them.
    CleanFailed(CleanFailedArgs),
    /// Scores per model and task type with confidence intervals, coverage, pass rate,
    /// cost and judge agreement.
    #[command(after_help = LEADERBOARD_AFTER_HELP)]
    Leaderboard(LeaderboardArgs),
    /// One row per task × model × sample × judge × criterion (and item): verdicts with
    /// evidence, programmatic parts, tokens, latency, cost and failure reasons.
    #[command(after_help = EXPORT_AFTER_HELP)]
    Export(ExportArgs),
    /// One self-contained HTML page to look at results: leaderboard, heatmap, radars,
    /// score against cost with a recommended configuration, judge agreement, and every
    /// task drilled down with the texts, the judges' evidence and transcripts.
    #[command(after_help = REPORT_AFTER_HELP)]
    Report(ReportArgs),
}

const REPORT_AFTER_HELP: &str = "\
The page works offline and from file:// (attach it to a CI run or an e-mail): it loads
nothing, and its Content-Security-Policy forbids loading anything. Its numbers are the
leaderboard's (the same items, intervals and ranks); stale records are left out. The
recommended configuration is the cheapest one whose 95% interval overlaps the best
score's; the page states the rule. Opening a task shows each model's text side by side
with the judges' quoted evidence marked, every verdict, the programmatic breakdown,
failures with their reasons and, for agentic tasks, the whole conversation. Open
report.html#task=ID to go straight to a task.

Examples:
  fabula report                                  writes report.html
  fabula report --out site/fabula.html --model gpt-5 --model gpt-5-mini
  fabula report --task-type sequence --task-type critique_improvement";

const EXPORT_AFTER_HELP: &str = "\
Only records with today's fingerprints are exported, the same ones leaderboards count. A
generation nobody has judged (or that failed) is one row with the judge columns empty.
Scores: final_score 0-100; programmatic, word_score and verdict_score 0-1.

Examples:
  fabula export --format csv > verdicts.csv
  fabula export --format jsonl --model gpt-5 --out gpt5.jsonl
  python -c \"import pandas as pd; print(pd.read_csv('verdicts.csv').groupby('model').final_score.mean())\"";

const RUN_AFTER_HELP: &str = "\
A run is incremental: it plans only what the store lacks for today's fingerprints (task
content, theory beats, prompt templates, model parameters). Re-running does nothing;
adding a judge runs only that judge on existing generations; editing a task re-runs that
task. Older records stay on disk as stale and are left out of leaderboards. Failed
records count as done until `fabula clean-failed`.

Models: --model (repeatable) or every `enabled` model in fabula.yaml that is not a judge,
oracle or critic. Judges: --judge (repeatable) or `judges` in fabula.yaml. API keys come
from the environment or .env; a missing key stops the run before any request. A task
with errors stops the run before any request too, unless --skip-invalid.

Stopping: the first Ctrl-C (or SIGTERM) stops scheduling and lets calls in flight finish
for up to --grace seconds, then cancels them; a second Ctrl-C cancels at once. Records
already written are kept either way; run again to do the rest.

Exit codes: 0 the planned work is complete and stored; 1 some work failed or is
unfinished (failed records, stored failures not retried, a budget stop, an interrupt); 2
usage or configuration error; 3 the results store could not be written.

Examples:
  fabula run                                 the whole benchmark, offline on `sim`
  fabula run --dry-run                       the plan: calls per model and role, cost
  fabula run --model gpt-5 --task-type sequence --samples 3
  fabula run --shard 1/4                     this machine's quarter; merge results/ by copy
  fabula run --max-cost 5                    stop scheduling new work after $5
  fabula run --json | jq -c 'select(.event == \"generation\")'";

const LEADERBOARD_AFTER_HELP: &str = "\
An item (task × sample) scores 50% programmatic (word range, repetition, stock phrases)
and 50% the judges' median, weighted by the task type's criteria, on 0-100. A model
failure (cut off, refused, empty, broken protocol) scores 0 and counts; an
infrastructure failure (HTTP errors, timeouts) leaves the item incomplete. Models are
ranked on the items every model completed (the footer says how many); --allow-partial
ranks each on its own. A model's score is the mean over tasks of the mean over samples,
with a 95% bootstrap interval (± is half its width); ranks whose intervals overlap are
ties. Stale records (fingerprints that are not today's) are left out.

Examples:
  fabula leaderboard
  fabula leaderboard --format markdown --write LEADERBOARD.md
  fabula leaderboard --format csv > scores.csv
  fabula leaderboard --fail-under 60        exit 1 if any model scores below 60";

/// Where the project is.
#[derive(Debug, Clone, clap::Args)]
pub struct ProjectArgs {
    /// Project root (the folder with fabula.yaml). Default: found from the current folder.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Which work: models, judges, tasks, samples, shard.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkArgs {
    /// Model config to run (repeatable). Default: every enabled model that is not a judge,
    /// oracle or critic.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    /// Judge model config (repeatable). Default: `judges` in fabula.yaml.
    #[arg(long = "judge", value_name = "NAME")]
    pub judges: Vec<String>,

    /// Only tasks of this type (repeatable).
    #[arg(long = "task-type", value_name = "TYPE")]
    pub task_types: Vec<String>,

    /// Only this task id (repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,

    /// Samples per task and model. Default: `settings.samples`, else 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub samples: Option<u32>,

    /// Only shard I of N (e.g. 2/4), stable across machines.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not I/N, e.g. 1/4"))?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| format!("`{i}` is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a number"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {i}/{n}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub work: WorkArgs,

    /// Print the plan (calls per model and role, estimated cost) and do nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Stop scheduling new work once this much (USD) has been spent in this run.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,

    /// No progress output, no leaderboard: only errors.
    #[arg(long, conflicts_with = "json")]
    pub quiet: bool,

    /// Machine-readable progress: one JSON event per line on stdout.
    #[arg(long)]
    pub json: bool,

    /// Run stored failures again (failed generations and evaluations with today's
    /// fingerprints); without it they count as done and the run exits 1.
    #[arg(long)]
    pub retry_failed: bool,

    /// Run the tasks that load cleanly when some have errors (they are listed as skipped).
    #[arg(long)]
    pub skip_invalid: bool,

    /// Seconds calls in flight may take to finish after the first Ctrl-C or SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub grace: u64,
}

#[derive(Debug, clap::Args)]
pub struct MissingArgs {
    #[command(flatten)]
    pub work: WorkArgs,

    /// List every missing item, not just the counts.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct CleanFailedArgs {
    /// Only this model's failed records (repeatable).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, clap::Args)]
pub struct LeaderboardArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = BoardFormat::Table)]
    pub format: BoardFormat,

    /// Also write the leaderboard as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Exit 1 when any model scores below this (0-100): a gate for CI.
    #[arg(long, value_name = "SCORE", value_parser = parse_score, allow_hyphen_values = true)]
    pub fail_under: Option<f64>,

    /// Rank each model on its own complete items, even when they differ between models.
    #[arg(long)]
    pub allow_partial: bool,

    /// Model to show (repeatable). Default: every enabled model that is not a judge,
    /// oracle or critic.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    /// Judges whose evaluations count (repeatable). Default: `judges` in fabula.yaml.
    #[arg(long = "judge", value_name = "NAME")]
    pub judges: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

/// A score on Fabula's one scale, 0 to 100.
fn parse_score(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; scores are 0 to 100"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{s} is not a score: scores are 0 to 100"));
    }
    Ok(v)
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Group failures by reason, with counts and an example of each.
    #[arg(short, long)]
    pub verbose: bool,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,

    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Model to export (repeatable). Default: every enabled model that is not a judge,
    /// oracle or critic.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    /// Judges whose evaluations count (repeatable). Default: `judges` in fabula.yaml.
    #[arg(long = "judge", value_name = "NAME")]
    pub judges: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Write the page to this file.
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub out: PathBuf,

    /// Model to show (repeatable). Default: every enabled model that is not a judge,
    /// oracle or critic.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    /// Only tasks of this type (repeatable).
    #[arg(long = "task-type", value_name = "TYPE")]
    pub task_types: Vec<String>,

    /// Judges whose evaluations count (repeatable). Default: `judges` in fabula.yaml.
    #[arg(long = "judge", value_name = "NAME")]
    pub judges: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BoardFormat {
    /// A table for the terminal.
    Table,
    Markdown,
    Json,
    Csv,
}

const CHECK_AFTER_HELP: &str = "\
Checks run in layers: YAML syntax, then the JSON Schemas in schema/, then semantic checks
(each with a stable code, e.g. unknown-beat, beat-order, duplicate-task-id, budget-no-room).
The whole project is loaded for context (a task is checked against its theory even when
only the task is named), but only the files under PATHS are reported.

Exit codes: 0 no errors, 1 errors found (warnings too with --strict), 2 usage error.

Examples:
  fabula check
  fabula check dataset/tasks/beat_revision/br-stc-lighthouse.yaml
  fabula check --format json | jq '.summary'
  fabula check --format github      # ::error file=…,line=…,col=…:: lines for CI";

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or folders to check (folders are searched for *.yaml). Default: fabula.yaml
    /// and dataset/ of the project.
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Treat warnings as findings (exit 1).
    #[arg(long)]
    pub strict: bool,

    /// Project root (the folder with fabula.yaml). Default: found from the current folder.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source excerpts with carets, for people.
    Human,
    /// One JSON document with every diagnostic and a summary.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`).
    Github,
}

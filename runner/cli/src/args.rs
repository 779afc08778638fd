//! Command-line arguments (clap). The help texts are the tool's manual: keep them useful.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
A Fabula project is a folder with fabula.yaml at its root (models, judges, settings),
dataset/ (theories/, tasks/<type>/, slop.yaml) and results/. Commands find the project
by walking up from the current folder (or from the first PATH) to fabula.yaml.

Exit codes:
  0  success: nothing to report
  1  findings: errors in checked files (or, with --strict, warnings); failed work in a
     run; a model under --fail-under
  2  usage or configuration error: bad arguments, missing paths, a missing API key

Examples:
  fabula check                      check fabula.yaml and the whole dataset
  fabula run                        run the benchmark (offline `sim` models by default)
  fabula run --dry-run              what a run would do, with estimated cost
  fabula leaderboard                scores per model and task type";

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
    /// Summarise the results store: records per model, failed and stale ones.
    Status(ProjectArgs),
    /// List the work a run would do (missing or stale generations and evaluations).
    Missing(MissingArgs),
    /// Delete failed records so the next run retries them.
    CleanFailed(CleanFailedArgs),
    /// Scores per model and task type, pass rate, cost and judge agreement.
    #[command(after_help = LEADERBOARD_AFTER_HELP)]
    Leaderboard(LeaderboardArgs),
}

const RUN_AFTER_HELP: &str = "\
A run is incremental: it plans only what the store lacks for today's fingerprints (task
content, theory beats, prompt templates, model parameters). Re-running does nothing;
adding a judge runs only that judge on existing generations; editing a task re-runs that
task. Older records stay on disk as stale and are left out of leaderboards. Failed
records count as done until `fabula clean-failed`.

Models: --model (repeatable) or every `enabled` model in fabula.yaml that is not a judge,
oracle or critic. Judges: --judge (repeatable) or `judges` in fabula.yaml. API keys come
from the environment or .env; a missing key stops the run before any request.

Exit codes: 0 all work done, 1 some work failed (recorded in results/), 2 usage or
configuration error.

Examples:
  fabula run                                 the whole benchmark, offline on `sim`
  fabula run --dry-run                       the plan: calls per model and role, cost
  fabula run --model gpt-5 --task-type sequence --samples 3
  fabula run --shard 1/4                     this machine's quarter; merge results/ by copy
  fabula run --max-cost 5                    stop scheduling new work after $5
  fabula run --json | jq -c 'select(.event == \"generation\")'";

const LEADERBOARD_AFTER_HELP: &str = "\
A model's score (0-100) is the mean over its items of 50% programmatic (word range,
repetition, stock phrases) and 50% the judges' median, weighted by the task type's
rubric. Items no judge could score are shown as unscored, never as zero. Stale records
(fingerprints that are not today's) are left out.

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
    #[arg(long, value_name = "SCORE")]
    pub fail_under: Option<f64>,

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
  fabula check --format github      # ::error file=…,line=…,col=…:: lines for CI
  fabula check --explain unknown-beat   # what a code means";

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

    /// Print what a diagnostic code means (the text an editor shows on hover) and exit.
    #[arg(long, value_name = "CODE", conflicts_with_all = ["paths", "format", "strict", "root"])]
    pub explain: Option<String>,
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

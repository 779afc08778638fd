//! Command-line arguments (clap). The help texts are the tool's manual: keep them useful.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
A Fabula project is a folder with fabula.yaml at its root (models, judges, settings),
dataset/ (theories/, tasks/<type>/, slop.yaml) and results/. Commands find the project
by walking up from the current folder (or from the first PATH) to fabula.yaml.

Exit codes:
  0  success: nothing to report
  1  findings: errors in checked files (or, with --strict, warnings)
  2  usage or configuration error: bad arguments, missing paths

Examples:
  fabula check                      check fabula.yaml and the whole dataset
  fabula check dataset/tasks/sequence
  fabula check --format github      annotations for GitHub Actions";

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

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
  fabula init my-bench              a new project that runs at once (offline `sim` models)
  fabula check                      check fabula.yaml and the whole dataset
  fabula run                        run the benchmark (offline `sim` models by default)
  fabula run --dry-run              what a run would do, with estimated cost
  fabula doctor                     one short request per model: keys, model ids, dialects
  fabula leaderboard                scores per model and task type
  fabula export --format csv > verdicts.csv
  fabula merge shard-*/results      join the results folders of shards into results/
  fabula rank --export sheet.csv    rank outputs blind in a spreadsheet, then --import it
  fabula agreement                  which judge agrees most with people's rankings
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
    /// Is B better than A? A paired per-item comparison of two model configs (or of one
    /// config before and after a change): the mean difference with a 95% interval, a
    /// permutation test, wins/ties/losses, per task type and criterion, the items that
    /// moved most; optional pairwise judging in both orders; a regression gate.
    #[command(after_help = COMPARE_AFTER_HELP)]
    Compare(CompareArgs),
    /// Rank outputs blind, as a person: export a sheet of each task sample's outputs
    /// (shuffled, no model names) for a spreadsheet, then import it with the ranks filled.
    #[command(after_help = RANK_AFTER_HELP)]
    Rank(RankArgs),
    /// How well each judge agrees with people: Kendall's tau-b between the human
    /// rankings (`fabula rank`) and each judge's order and the judges' median, averaged
    /// over tasks with a 95% interval; raters against each other; the tasks where judges
    /// and people disagree most.
    #[command(after_help = AGREEMENT_AFTER_HELP)]
    Agreement(AgreementArgs),
    /// One row per task × model × sample × judge × criterion (and item): verdicts with
    /// evidence, programmatic parts, tokens, latency, cost and failure reasons.
    #[command(after_help = EXPORT_AFTER_HELP)]
    Export(ExportArgs),
    /// Start a new benchmark project: fabula.yaml (offline `sim` models), the five
    /// theories, one example task per type, the schemas, a README. Runs at once.
    #[command(after_help = INIT_AFTER_HELP)]
    Init(InitArgs),
    /// Write a task skeleton: every required field, valid beats from the theory, and
    /// `TODO:` placeholders that `fabula check` flags until they are replaced.
    #[command(after_help = NEW_AFTER_HELP)]
    New(NewArgs),
    /// Have a model draft tasks: each is checked (and sent back with the findings for
    /// repair), screened for near-duplicates, scored by a validator; those that pass
    /// are written to dataset/drafts/<type>/ for you to review. Drafts never run.
    #[command(after_help = DRAFT_AFTER_HELP)]
    Draft(DraftArgs),
    /// Copy the records of other results folders (shard artifacts) into this project's
    /// results/, verifying each; conflicts are reported, never overwritten.
    #[command(after_help = MERGE_AFTER_HELP)]
    Merge(MergeArgs),
    /// Check every provider and model before a long run: one short request each, with
    /// the model's own settings (key, model id, dialect).
    #[command(after_help = DOCTOR_AFTER_HELP)]
    Doctor(DoctorArgs),
    /// One self-contained HTML page to look at results: leaderboard, heatmap, radars,
    /// score against cost with a recommended configuration, judge agreement, and every
    /// task drilled down with the texts, the judges' evidence and transcripts.
    #[command(after_help = REPORT_AFTER_HELP)]
    Report(ReportArgs),
}

const RANK_AFTER_HELP: &str = "\
Judges agreeing with each other does not make them right: people ranking the same
outputs shows whether they are. A ranking sheet is CSV for any spreadsheet, one row per
output: the task, the sample, an anonymised output id, an empty rank column, a note
column and the text. Model names, configs and fingerprints are never in it, and each
export shuffles the outputs with a seed of its own (the `sheet` column), so every rater
sees another order and other ids. Only task samples with today's outputs of two or more
models are in a sheet. A text a spreadsheet would take for a formula (=, +, -, @) is
shown with a leading ' so that it stays text.

Fill `rank` with 1 for the best output of a task sample, 2 for the next, and so on; give
equal numbers to tie outputs. Leave every rank of a sample empty to skip it. A note on
any row of a sample is kept with the ranking. Then import the sheet: each ranked sample
becomes a record under results/rankings/ (merged by `fabula merge` like any other). An
output id that matches no output of today's store (the outputs were re-run since, or
the sheet came from another store), a sample ranked in part or a rank that is not a
whole number is an error naming the row; nothing is saved then.

The rater is --rater, else `git config user.email`. A ranking counts while the outputs
it ranks are today's; a rater's newer ranking of a sample replaces their older one.

Examples:
  fabula rank --export sheet.csv                     every task, rater from git
  fabula rank --export ann.csv --rater ann@example.org --task chasqui-road-back
  fabula rank --import ann.csv --rater ann@example.org
  fabula agreement                                   what the rankings say of the judges";

const AGREEMENT_AFTER_HELP: &str = "\
For each human ranking of a task sample, Kendall's tau-b (ties counted on both sides)
between the person's order and each judge's order of the same outputs (by that judge's
judge part), and the judges' median order (by the item's score, the leaderboard's).
1 is the same order, 0 unrelated, -1 reversed. A row is the mean over tasks of the mean
over that task's rankings; the interval is a 95% bootstrap over tasks, then rankings
(fixed seed). When two or more people ranked the same sample, the `raters` row is their
mean pairwise tau-b. Then the tasks where the judges' median agrees least with people,
with the orders side by side. Rankings whose outputs changed since are not counted.

Examples:
  fabula rank --export sheet.csv && fabula rank --import sheet.csv
  fabula agreement
  fabula agreement --judge sim-judge-1 --judge sim-judge-2 --format markdown
  fabula agreement --format json | jq '.rows[] | {who, tau}'";

const MERGE_AFTER_HELP: &str = "\
Each record is verified before it is copied: it must parse, match
schema/result.schema.json, and sit at the name the store gives its content. A record
the destination already holds with the same content is skipped; one with different
content is a conflict: reported, and the destination's record kept. Temporary files of
interrupted writes and symbolic links in the sources are reported and ignored. The
destination is locked while the merge writes (one writer at a time), and every file is
written atomically.

Exit codes: 0 merged, 1 conflicts or invalid records (the rest is merged), 2 usage error
(a source that is not a folder, the destination in use by another run).

Examples:
  fabula merge shard-*/results                  into this project's results/
  fabula merge a/results b/results --into all/  into another folder";

#[derive(Debug, clap::Args)]
pub struct RankArgs {
    /// Write a blind ranking sheet (CSV) to FILE.
    #[arg(
        long,
        value_name = "FILE.csv",
        conflicts_with = "import",
        required_unless_present = "import"
    )]
    pub export: Option<PathBuf>,

    /// Read a filled ranking sheet back and save its rankings under results/rankings/.
    #[arg(long, value_name = "FILE.csv")]
    pub import: Option<PathBuf>,

    /// Who ranks (an email address or a name). Default: `git config user.email`.
    #[arg(long, value_name = "RATER")]
    pub rater: Option<String>,

    /// Only this task id in the sheet (repeatable; export only).
    #[arg(long = "task", value_name = "ID", conflicts_with = "import")]
    pub tasks: Vec<String>,

    /// Only tasks of this type in the sheet (repeatable; export only).
    #[arg(long = "task-type", value_name = "TYPE", conflicts_with = "import")]
    pub task_types: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, clap::Args)]
pub struct AgreementArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,

    /// Judges to compare with people (repeatable). Default: `judges` in fabula.yaml.
    #[arg(long = "judge", value_name = "NAME")]
    pub judges: Vec<String>,

    /// Only tasks of this type (repeatable).
    #[arg(long = "task-type", value_name = "TYPE")]
    pub task_types: Vec<String>,

    /// Only this task id (repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Results folders to copy records from, in order.
    #[arg(value_name = "SRC", required = true)]
    pub sources: Vec<PathBuf>,

    /// The results folder to merge into. Default: results/ of the project found from the
    /// current folder (or --root).
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

const DRAFT_AFTER_HELP: &str = "\
Each draft: the model gets the type's field docs, the theory, two tasks of the type as
examples, the stories already in the benchmark and a skeleton with valid beats, and
answers one task as YAML. `fabula check`'s findings go back to it for repair, at most
--repair-rounds times. A clean draft whose story shares half its word trigrams with an
existing task's (Jaccard >= 0.5) is rejected without a validator call. The validator
scores clarity, solvability, originality and fit from 1 to 5; a draft is kept when every
score reaches --min-score. Kept drafts go to dataset/drafts/<type>/<id>.yaml with a header
saying who drafted and scored them; moving one to dataset/tasks/<type>/ adds it to the
benchmark. Nothing is ever written over an existing file.

Exit codes: 0 at least one draft kept and no call failed, 1 none kept or a call failed,
2 usage or configuration error.

Examples:
  fabula draft --type sequence --count 5 --model claude-sonnet --validator gpt-5
  fabula draft --type beat_revision --theory freytag --count 3 --model gpt-5 --min-score 5
  fabula draft --type sequence --count 2 --model sim-writer-a    offline demo (simulated)";

#[derive(Debug, clap::Args)]
pub struct DraftArgs {
    /// Task type to draft (see `fabula new --help` for the list).
    #[arg(long = "type", value_name = "TYPE")]
    pub task_type: String,

    /// Theory for every draft. Default: the project's theories in turn.
    #[arg(long, value_name = "THEORY")]
    pub theory: Option<String>,

    /// How many drafts to attempt.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub count: u32,

    /// Model config (in fabula.yaml) that writes the drafts.
    #[arg(long, value_name = "NAME")]
    pub model: String,

    /// Model config that scores them. Default: the first of `judges` in fabula.yaml.
    #[arg(long, value_name = "NAME")]
    pub validator: Option<String>,

    /// Lowest score (1-5) the validator may give any criterion of a kept draft.
    #[arg(long, value_name = "1-5", default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub min_score: u8,

    /// Times a draft with findings is sent back for repair.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub repair_rounds: u32,

    #[command(flatten)]
    pub project: ProjectArgs,
}

const INIT_AFTER_HELP: &str = "\
Writes fabula.yaml, dataset/ (theories, slop.yaml, one task per type), schema/, README.md
and .gitignore into DIR (default: the current folder; created if missing). Refuses, and
writes nothing, when any of these files already exists.

Examples:
  fabula init my-bench && cd my-bench && fabula run";

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder for the new project. Default: the current folder.
    pub dir: Option<PathBuf>,
}

const NEW_AFTER_HELP: &str = "\
The skeleton goes to dataset/tasks/<type>/<id>.yaml. Its beat ids come from the theory,
in order (and adjacent where the type needs it); everything to write is a `TODO: …`
string, reported by `fabula check` as `placeholder` until replaced. An existing file is
never overwritten.

Examples:
  fabula new beat_interpolation --theory save_the_cat
  fabula new theory_conversion --theory freytag --source-theory three_act --id market-fall
  fabula new sequence --theory story_circle && fabula check dataset/tasks/sequence";

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Task type: beat_interpolation, beat_revision, constrained_continuation,
    /// theory_conversion, multi_beat_synthesis, sequence, agentic_constraint_discovery,
    /// agentic_planning_execution, agentic_iterative_revision, critique_improvement.
    #[arg(value_name = "TYPE")]
    pub task_type: String,

    /// Theory id (dataset/theories/<id>.yaml); for theory_conversion, the target.
    #[arg(long, value_name = "THEORY")]
    pub theory: String,

    /// Task id (and file name). Default: <type>-<theory>, numbered when taken.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,

    /// For theory_conversion: the theory the source story is told in. Default: the
    /// first other theory by id.
    #[arg(long, value_name = "THEORY")]
    pub source_theory: Option<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
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
const COMPARE_AFTER_HELP: &str = "\
A and B are scored item by item (task × sample) exactly as the leaderboard scores them;
an item complete on both sides is a pair, the others are counted by why. B - A is the
mean over tasks of the mean pair difference (0-100 points); its 95% interval is a paired
bootstrap (tasks, then samples within); p is a two-sided paired sign-flip permutation
test (exact up to 20 non-zero differences, Monte Carlo with a fixed seed above, marked
~). Rows per task type and per criterion have Holm-adjusted p-values; * marks p < 0.05.

Before and after a change: --base DIR reads A from another results store (a results/
folder, or a project folder holding one): per item its newest generation and, per judge,
the newest evaluation of that text, whatever their fingerprints. --base-stale reads A
from this store's stale records: what today's fingerprints replaced (edit a prompt, a
task or a model's parameters, `fabula run`, then compare). B is today's records.

--pairwise has the judges compare A's and B's outputs of each item side by side, in both
orders (an order disagreement is a tie, so a judge's position bias cancels), with a note
that length is no merit; each comparison is stored under results/pairwise/ and runs once.
With three or more configs every pair is compared and ranked by Bradley-Terry.

--fail-if-worse MARGIN exits 1 when, for some B, the permutation test is significant
(p < 0.05) and the whole 95% interval of B - A lies below -MARGIN: B is worse than A by
more than MARGIN points, and not by chance. Exit codes: 0 otherwise (no pairs: nothing
to gate on, said on stderr), 1 a regression or failed pairwise judging, 2 usage error,
3 the store could not be written.

Examples:
  fabula compare sim-writer-a sim-writer-b
  fabula compare gpt-5 gpt-5-low --format markdown > COMPARE.md
  fabula compare claude-sonnet --base-stale --fail-if-worse 2    after a prompt change
  fabula compare claude-sonnet --base ../main/results --format json
  fabula compare sim-writer-a sim-writer-b --pairwise";

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Model configs: A (the baseline), then B, and more (each compared with A). With
    /// --base or --base-stale, one config, compared with its own earlier records.
    #[arg(value_name = "MODEL", required = true)]
    pub models: Vec<String>,

    /// A results store made before a change (a results/ folder, or a project folder
    /// holding one): its records of MODEL are A, today's records here are B.
    #[arg(long, value_name = "DIR", conflicts_with = "base_stale")]
    pub base: Option<PathBuf>,

    /// A is the records of MODEL that today's fingerprints replaced in this store.
    #[arg(long)]
    pub base_stale: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,

    /// Exit 1 when B is significantly worse than A by more than MARGIN points (0-100):
    /// p < 0.05 and the 95% interval of B - A entirely below -MARGIN.
    #[arg(long, value_name = "MARGIN", value_parser = parse_margin, allow_hyphen_values = true)]
    pub fail_if_worse: Option<f64>,

    /// Also have the judges compare the outputs side by side, in both orders.
    #[arg(long, conflicts_with_all = ["base", "base_stale"])]
    pub pairwise: bool,

    /// Judges whose evaluations count and who compare pairwise (repeatable). Default:
    /// `judges` in fabula.yaml.
    #[arg(long = "judge", value_name = "NAME")]
    pub judges: Vec<String>,

    /// Only tasks of this type (repeatable).
    #[arg(long = "task-type", value_name = "TYPE")]
    pub task_types: Vec<String>,

    /// Only this task id (repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,

    /// Items listed as having moved most.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub moved: usize,

    #[command(flatten)]
    pub project: ProjectArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Tables for the terminal.
    Table,
    Markdown,
    Json,
}

/// A margin on the 0-100 scale, not negative.
fn parse_margin(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; margins are points on the 0-100 scale"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{s}: a margin is 0 to 100 points"));
    }
    Ok(v)
}

const EXPORT_AFTER_HELP: &str = "\
Only records with today's fingerprints are exported, the same ones leaderboards count. A
generation nobody has judged (or that failed) is one row with the judge columns empty.
Scores: final_score 0-100; programmatic, word_score and verdict_score 0-1.

Examples:
  fabula export --format csv > verdicts.csv
  fabula export --format jsonl --model gpt-5 --out gpt5.jsonl
  python -c \"import pandas as pd; print(pd.read_csv('verdicts.csv').groupby('model').final_score.mean())\"";

const DOCTOR_AFTER_HELP: &str = "\
Each model a run would use (every enabled model, the judges, the oracle and the critic;
or only --model) gets one request asking for a one-word answer, sent exactly as a judge
call of that model would be: its parameters, its dialect, its key. A refused key (401,
403), an exhausted account (402), an unknown model id (404), a request the provider
rejects (400: usually the dialect or a parameter), a missing key and a setting the
dialect cannot send are reported per model, with what to check. Simulated models need
no request. Warnings name settings that are changed or not sent.

Exit codes: 0 every model answered, 1 some did not, 2 usage or configuration error.

Examples:
  fabula doctor
  fabula doctor --model gpt-5 --model claude-sonnet";

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

Batch mode (--batch): generations of single-request tasks and every judge call of
models on OpenAI (`kind: openai` with the `openai` dialect) or Anthropic providers go
out as provider batches (OpenAI's Batch API, Anthropic's Message Batches) at half the
price, answered within 24 hours. The requests are byte for byte the interactive ones, so
records of either mode count for the other. Agentic and multi-turn tasks, and models on
`sim` or OpenRouter (no batch API), run interactively, as the run says before it starts.
Batch ids are kept under results/.batches/: a run killed or stopped while a batch runs
leaves it there, and the next `fabula run --batch` polls it instead of sending (and
paying for) its requests again. A request the batch did not run (expired, cancelled) is
sent again in a later batch, up to the provider's max_retries, then recorded as failed.
`--dry-run` shows the batch cost next to the interactive one.

Exit codes: 0 the planned work is complete and stored; 1 some work failed or is
unfinished (failed records, stored failures not retried, a budget stop, an interrupt,
work left in a running batch); 2 usage or configuration error; 3 the results store
could not be written.

Examples:
  fabula run                                 the whole benchmark, offline on `sim`
  fabula run --dry-run                       the plan: calls per model and role, cost
  fabula run --model gpt-5 --task-type sequence --samples 3
  fabula run --shard 1/4                     this machine's quarter; `fabula merge` joins them
  fabula run --shard auto                    the shard a CI matrix or Kubernetes Indexed Job
                                             says (FABULA_SHARD_INDEX or JOB_COMPLETION_INDEX,
                                             0-based, and FABULA_SHARD_COUNT)
  fabula run --max-cost 5                    never spend more than $5
  fabula run --batch --max-cost 5            half price in provider batches; run it
                                             again after a stop to collect them
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

    /// Only shard I of N (e.g. 2/4), stable across machines. `auto`: from the
    /// environment, 0-based: FABULA_SHARD_INDEX (a CI matrix) or JOB_COMPLETION_INDEX
    /// (a Kubernetes Indexed Job), with FABULA_SHARD_COUNT.
    #[arg(long, value_name = "I/N|auto", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,

    #[command(flatten)]
    pub project: ProjectArgs,
}

/// The environment variable with a shard's 0-based index, set by hand or by a CI matrix
/// (`${{ strategy.job-index }}` on GitHub Actions).
pub const SHARD_INDEX_VAR: &str = "FABULA_SHARD_INDEX";
/// The 0-based index Kubernetes gives each pod of an Indexed Job.
pub const JOB_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";
/// The number of shards (`${{ strategy.job-total }}`, or the Job's `completions`).
pub const SHARD_COUNT_VAR: &str = "FABULA_SHARD_COUNT";

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    if s == "auto" {
        return shard_from(|name| std::env::var(name).ok());
    }
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not I/N (e.g. 1/4) or `auto`"))?;
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

/// `--shard auto`: the 1-based shard `(i, n)` from the variables `var` reads.
fn shard_from(var: impl Fn(&str) -> Option<String>) -> Result<(u32, u32), String> {
    let read = |name: &str| -> Result<Option<u32>, String> {
        var(name)
            .map(|v| {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("--shard auto: {name}={v:?} is not a whole number"))
            })
            .transpose()
    };
    let (own, job) = (read(SHARD_INDEX_VAR)?, read(JOB_INDEX_VAR)?);
    let (index, from) = match (own, job) {
        (Some(a), Some(b)) if a != b => {
            return Err(format!(
                "--shard auto: {SHARD_INDEX_VAR}={a} and {JOB_INDEX_VAR}={b} disagree; unset one"
            ));
        }
        (Some(i), _) => (i, SHARD_INDEX_VAR),
        (None, Some(i)) => (i, JOB_INDEX_VAR),
        (None, None) => {
            return Err(format!(
                "--shard auto: no shard index in the environment; set {SHARD_INDEX_VAR} (0-based, e.g. from a CI matrix) or run as a Kubernetes Indexed Job ({JOB_INDEX_VAR}), and {SHARD_COUNT_VAR}"
            ));
        }
    };
    let count = read(SHARD_COUNT_VAR)?.ok_or_else(|| {
        format!(
            "--shard auto: {from}={index} but {SHARD_COUNT_VAR} (the number of shards) is not set"
        )
    })?;
    if count == 0 || index >= count {
        return Err(format!(
            "--shard auto: {from}={index} with {SHARD_COUNT_VAR}={count}; need 0 <= index < count"
        ));
    }
    Ok((index + 1, count))
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub work: WorkArgs,

    /// Print the plan (calls per model and role, estimated cost) and do nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Spend at most this much (USD) in this run: each call reserves its worst-case cost
    /// (its input and `max_tokens` at the model's price) before it is sent, so spend never
    /// passes the cap. Every model must have a `price` (see --allow-unpriced).
    // Hyphen values reach the parser, so `--max-cost -1` gets its message, not clap's
    // `unexpected argument`.
    #[arg(long, value_name = "USD", allow_hyphen_values = true, value_parser = parse_max_cost)]
    pub max_cost: Option<f64>,

    /// With --max-cost, let models without a `price` run: only their reported cost
    /// counts, after the fact, so they can take the spend past the cap.
    #[arg(long, requires = "max_cost")]
    pub allow_unpriced: bool,

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

    /// Send single requests (standard tasks, judge calls) of OpenAI and Anthropic models
    /// as provider batches, at half the price; answers can take up to 24 hours. Batch ids
    /// are kept under results/.batches/, so a stopped run's next `--batch` run polls
    /// them instead of paying again. Conversations and `sim` models run interactively.
    #[arg(long)]
    pub batch: bool,

    /// With --batch: seconds before the first poll of a batch (and the quiet time that
    /// closes a batch, at most 2 s); the wait doubles up to --batch-poll-max.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, requires = "batch", value_parser = parse_seconds)]
    pub batch_poll: f64,

    /// With --batch: the longest wait between two polls of a batch, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300.0, requires = "batch", value_parser = parse_seconds)]
    pub batch_poll_max: f64,

    /// Seconds calls in flight may take to finish after the first Ctrl-C or SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub grace: u64,
}

/// A wait in seconds: finite, at least 1 ms, at most a day.
fn parse_seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(0.001..=86_400.0).contains(&v) {
        return Err(format!("{s}: need 0.001 to 86400 seconds"));
    }
    Ok(v)
}

/// `--max-cost`: the engine's one rule for a spending cap.
fn parse_max_cost(s: &str) -> Result<f64, String> {
    fabula_engine::budget::parse_cap(s).map_err(|e| e.to_string())
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Only this model config (repeatable). Default: every model a run would use.
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,

    #[command(flatten)]
    pub project: ProjectArgs,
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

    /// Exit 1 when any model scores below this (0-100): a gate for CI. With `--format
    /// junit`, each model's case and its per-type cases fail below it too.
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
    /// JUnit XML for CI: a test case per model and per model × task type, failing
    /// below `--fail-under`.
    Junit,
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
  fabula check --format junit > check.xml   # a test report CI systems show
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
    /// JUnit XML for CI test reports: one test case per file, failing on errors.
    Junit,
}

#[cfg(test)]
mod tests {
    use super::{parse_shard, shard_from};

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_shards_are_one_based() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert_eq!(parse_shard("4/4"), Ok((4, 4)));
        for bad in ["0/4", "5/4", "1/0", "x/4", "1", "auto/4"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn auto_reads_a_zero_based_index_and_the_count() {
        let k8s = [("JOB_COMPLETION_INDEX", "0"), ("FABULA_SHARD_COUNT", "4")];
        assert_eq!(shard_from(env(&k8s)), Ok((1, 4)));
        let k8s = [("JOB_COMPLETION_INDEX", "3"), ("FABULA_SHARD_COUNT", "4")];
        assert_eq!(shard_from(env(&k8s)), Ok((4, 4)));
        let matrix = [("FABULA_SHARD_INDEX", " 2 "), ("FABULA_SHARD_COUNT", "3")];
        assert_eq!(shard_from(env(&matrix)), Ok((3, 3)));
        let both = [
            ("FABULA_SHARD_INDEX", "1"),
            ("JOB_COMPLETION_INDEX", "1"),
            ("FABULA_SHARD_COUNT", "2"),
        ];
        assert_eq!(shard_from(env(&both)), Ok((2, 2)));
    }

    #[test]
    fn auto_explains_what_is_missing_or_wrong() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "no shard index in the environment"),
            (&[("FABULA_SHARD_COUNT", "4")], "no shard index"),
            (
                &[("JOB_COMPLETION_INDEX", "1")],
                "FABULA_SHARD_COUNT (the number of shards) is not set",
            ),
            (
                &[("JOB_COMPLETION_INDEX", "4"), ("FABULA_SHARD_COUNT", "4")],
                "need 0 <= index < count",
            ),
            (
                &[("FABULA_SHARD_INDEX", "0"), ("FABULA_SHARD_COUNT", "0")],
                "need 0 <= index < count",
            ),
            (
                &[("FABULA_SHARD_INDEX", "-1"), ("FABULA_SHARD_COUNT", "4")],
                "\"-1\" is not a whole number",
            ),
            (
                &[("FABULA_SHARD_INDEX", "1"), ("FABULA_SHARD_COUNT", "four")],
                "FABULA_SHARD_COUNT=\"four\"",
            ),
            (
                &[
                    ("FABULA_SHARD_INDEX", "0"),
                    ("JOB_COMPLETION_INDEX", "1"),
                    ("FABULA_SHARD_COUNT", "2"),
                ],
                "disagree",
            ),
        ];
        for (vars, want) in cases {
            let err = shard_from(env(vars)).unwrap_err();
            assert!(err.contains(want), "{vars:?}: {err}");
        }
    }
}

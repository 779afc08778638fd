//! One module per subcommand.

mod agreement;
mod check;
mod clean_failed;
mod compare;
mod doctor;
mod draft;
mod export;
mod init;
mod leaderboard;
mod merge;
mod missing;
mod new;
mod rank;
mod report;
mod run;
mod session;
mod status;

use crate::Outcome;
use crate::args::{Cli, Command, ProjectArgs, WorkArgs};

/// The async runtime of the commands that call models: a worker per core, and at most
/// [`BLOCKING_THREADS`] threads for blocking work (reading a stored generation when its
/// job starts). Those reads are short, and every extra thread costs memory: with one
/// per open job, a run over a large store had 69 threads and their allocator arenas.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

const BLOCKING_THREADS: usize = 4;

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Status(args) => status::run(&args),
        Command::Missing(args) => missing::run(&args),
        Command::CleanFailed(args) => clean_failed::run(&args),
        Command::Leaderboard(args) => leaderboard::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Rank(args) => rank::run(&args),
        Command::Agreement(args) => agreement::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Init(args) => init::run(&args),
        Command::New(args) => new::run(&args),
        Command::Draft(args) => draft::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Report(args) => report::run(&args),
    }
}

/// Every task, every default model and judge.
pub(crate) fn all_work() -> WorkArgs {
    WorkArgs {
        models: Vec::new(),
        judges: Vec::new(),
        task_types: Vec::new(),
        tasks: Vec::new(),
        samples: None,
        shard: None,
        project: ProjectArgs { root: None },
    }
}

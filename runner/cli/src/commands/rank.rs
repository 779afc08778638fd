//! `fabula rank`: people rank outputs blind in a spreadsheet. `--export` writes a sheet
//! of today's outputs (shuffled with a seed of the rater's own, no model names);
//! `--import` reads it back filled and saves a ranking record per ranked sample, under
//! the store's lock.

use super::session::Session;
use crate::Outcome;
use crate::args::{RankArgs, WorkArgs};
use crate::error::{self, CliError};
use anyhow::Context as _;
use fabula_engine::scheduler::now;
use fabula_eval::sheet;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The largest sheet read back.
const MAX_SHEET: u64 = 64 * 1024 * 1024;

pub fn run(args: &RankArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let rater = rater(args.rater.as_deref(), &session.root)?;
    match (&args.export, &args.import) {
        (Some(file), None) => export(args, &session, &rater, file),
        (None, Some(file)) => import(&session, &rater, file),
        _ => Err(usage("name one of --export FILE.csv and --import FILE.csv")),
    }
}

fn export(args: &RankArgs, session: &Session, rater: &str, file: &Path) -> anyhow::Result<Outcome> {
    let work = WorkArgs {
        task_types: args.task_types.clone(),
        tasks: args.tasks.clone(),
        ..super::all_work()
    };
    let tasks = session.tasks(&work)?.tasks;
    let loaded = session.store.load();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = sheet::new_seed(&format!("{rater}\n{nanos}\n{}", std::process::id()));
    let current = session.current();
    let samples = sheet::samples(&current, &tasks, &loaded, session.store.root(), &seed);
    if samples.is_empty() {
        return Err(usage(
            "nothing to rank: no task sample has today's outputs of two or more models (`fabula run` makes them)",
        ));
    }
    let text = sheet::write(&seed, &samples);
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    let outputs: usize = samples.iter().map(|s| s.outputs.len()).sum();
    writeln!(
        std::io::stderr(),
        "Wrote {outputs} output(s) of {} task sample(s) to {} for {rater} (sheet {seed}).\n\
         Fill the rank column (1 = best; equal numbers tie; leave a sample empty to skip it), then:\n  \
         fabula rank --import {} --rater {rater}",
        samples.len(),
        file.display(),
        file.display(),
    )?;
    Ok(Outcome::Success)
}

fn import(session: &Session, rater: &str, file: &Path) -> anyhow::Result<Outcome> {
    let text = read(file)?;
    let fail = |e: sheet::SheetError| usage(&format!("{}: {e}", file.display()));
    let rows = sheet::parse(&text).map_err(fail)?;
    let seed = sheet::seed(&rows).map_err(fail)?;
    let tasks = session.all_tasks();
    // Under the lock: the outputs matched are the ones on disk while the rankings land.
    let _lock = session.store.lock()?;
    let loaded = session.store.load();
    let current = session.current();
    let samples = sheet::samples(&current, &tasks, &loaded, session.store.root(), &seed);
    let rankings = sheet::rankings(&rows, &samples, rater, &now()).map_err(fail)?;
    let mut saved = Vec::with_capacity(rankings.len());
    for r in &rankings {
        let path = session.store.write_ranking(r).map_err(|e| {
            error::store(format!(
                "cannot write {}: {e}",
                session.store.ranking_path(r).display()
            ))
        })?;
        saved.push(path);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Saved {} ranking(s) by {rater} under {}; `fabula agreement` compares them with the judges.",
        saved.len(),
        session
            .store
            .root()
            .join(fabula_engine::store::RANKINGS)
            .display()
    )?;
    Ok(Outcome::Success)
}

/// `--rater`, else `git config user.email` in the project.
fn rater(given: Option<&str>, root: &Path) -> anyhow::Result<String> {
    if let Some(r) = given {
        let r = r.trim();
        if r.is_empty() {
            return Err(usage(
                "--rater is empty: name who ranks (an email address or a name)",
            ));
        }
        return Ok(r.to_string());
    }
    let from_git = fabula_engine::rater::from_git(root);
    from_git.ok_or_else(|| {
        usage("who is ranking? pass --rater NAME (an email address or a name), or set `git config user.email`")
    })
}

/// The sheet's text, refusing a file larger than [`MAX_SHEET`] or not UTF-8.
fn read(file: &Path) -> anyhow::Result<String> {
    let f = std::fs::File::open(file)
        .map_err(|e| usage(&format!("cannot read {}: {e}", file.display())))?;
    let mut bytes = Vec::new();
    f.take(MAX_SHEET + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| usage(&format!("cannot read {}: {e}", file.display())))?;
    if bytes.len() as u64 > MAX_SHEET {
        return Err(usage(&format!(
            "{} is larger than {} MiB: not a ranking sheet",
            file.display(),
            MAX_SHEET / 1024 / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        usage(&format!(
            "{} is not UTF-8 text (byte {}): save the sheet as CSV UTF-8",
            file.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

fn usage(message: &str) -> anyhow::Error {
    anyhow::Error::new(CliError::Usage(message.to_string()))
}

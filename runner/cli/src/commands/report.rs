//! `fabula report`: one self-contained HTML page from the results store: the
//! leaderboard, charts, the recommended configuration and every task drilled down
//! (built by `fabula_report`, which the language server's `fabula/report` shares). The
//! numbers are the leaderboard's; the whole generation records (transcripts) are read
//! from the store for the drill-downs.

use super::session::Session;
use crate::Outcome;
use crate::args::{ReportArgs, WorkArgs};
use anyhow::Context as _;
use fabula_report::{Host, Input};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

pub fn run(args: &ReportArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let session = Session::open(&args.project)?;
    let work = WorkArgs {
        models: args.models.clone(),
        judges: args.judges.clone(),
        task_types: args.task_types.clone(),
        ..super::all_work()
    };
    let models = session.writers(&work)?;
    let judges = session.judges(&work)?;
    let tasks = session.tasks(&work)?.tasks;
    let loaded = session.store.load();
    let current = session.current();
    let root = session.store.root().parent().unwrap_or(Path::new("."));
    let project = root.file_name().map_or_else(
        || "project".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut scope = Vec::new();
    if !args.models.is_empty() {
        scope.push(format!("models: {}", args.models.join(", ")));
    }
    if !args.task_types.is_empty() {
        scope.push(format!("task types: {}", args.task_types.join(", ")));
    }
    let read = |p: &Path| session.store.read_generation(p).map_err(|e| e.to_string());
    let built = fabula_report::build(&Input {
        current: &current,
        tasks: &tasks,
        records: &loaded,
        models: &models,
        judges: &judges,
        read: &read,
        root,
        project: &project,
        generated_at: &fabula_engine::scheduler::now(),
        scope: (!scope.is_empty()).then(|| scope.join("; ")),
        host: Host::File,
        focus: None,
    })?;
    std::fs::write(&args.out, &built.html)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    writeln!(
        std::io::stderr(),
        "Wrote {} ({}, {} items of {} model(s) on {} task(s), {} problem file(s) skipped) in {:.2} s. Open it in a browser.",
        args.out.display(),
        size(built.html.len()),
        built.items,
        built.models,
        built.tasks,
        loaded.problems.len(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(Outcome::Success)
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

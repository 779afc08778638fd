//! `fabula agreement`: how well each judge agrees with people's rankings.

use super::session::Session;
use crate::Outcome;
use crate::args::{AgreementArgs, CompareFormat, WorkArgs};
use crate::render::agreement as render;
use fabula_eval::agreement::{self, Options};
use std::io::Write;

pub fn run(args: &AgreementArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let work = WorkArgs {
        judges: args.judges.clone(),
        task_types: args.task_types.clone(),
        tasks: args.tasks.clone(),
        ..super::all_work()
    };
    let judges = session.judges(&work)?;
    let tasks = session.tasks(&work)?.tasks;
    let loaded = session.store.load();
    let mut err = std::io::stderr();
    if !loaded.problems.is_empty() {
        writeln!(
            err,
            "warning: {} file(s) under {} are not readable records (`fabula status` lists them)",
            loaded.problems.len(),
            session.store.root().display()
        )?;
    }
    let current = session.current();
    let figures = agreement::agreement(&current, &tasks, &loaded, &judges, &Options::default());
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        CompareFormat::Table => render::table(&mut out, &figures),
        CompareFormat::Markdown => render::markdown(&mut out, &figures),
        CompareFormat::Json => render::json(&mut out, &figures),
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(Outcome::Success)
}

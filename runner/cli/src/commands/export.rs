//! `fabula export`: one row per verdict, as JSON Lines or CSV.

use super::session::Session;
use crate::Outcome;
use crate::args::{ExportArgs, ExportFormat};
use anyhow::Context as _;
use fabula_eval::export;
use std::io::Write;

pub fn run(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let work = crate::args::WorkArgs {
        models: args.models.clone(),
        judges: args.judges.clone(),
        ..super::all_work()
    };
    let models = session.writers(&work)?;
    let judges = session.judges(&work)?;
    let tasks = session.all_tasks();
    let loaded = session.store.load();
    let rows = export::rows(&session.current(), &tasks, &loaded, &models, &judges);
    let mut buffer = Vec::new();
    match args.format {
        ExportFormat::Jsonl => export::jsonl(&mut buffer, &rows)?,
        ExportFormat::Csv => export::csv(&mut buffer, &rows)?,
    }
    match &args.out {
        Some(path) => std::fs::write(path, &buffer)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(&buffer)?,
    }
    if args.out.is_some() {
        writeln!(
            std::io::stderr(),
            "Exported {} row(s) for {} model(s).",
            rows.len(),
            models.len()
        )?;
    }
    Ok(Outcome::Success)
}

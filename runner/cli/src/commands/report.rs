//! `fabula report`: one self-contained HTML page from the results store: the
//! leaderboard, charts, the recommended configuration and every task drilled down
//! (see `render::report`). The numbers are the leaderboard's; the whole generation
//! records (transcripts) are read from the store for the drill-downs, in parallel.

use super::session::Session;
use crate::Outcome;
use crate::args::{ReportArgs, WorkArgs};
use crate::render::report::{Meta, Renderer};
use anyhow::Context as _;
use fabula_eval::leaderboard::{self, Item, Options};
use fabula_eval::report::{self, detail};
use rayon::prelude::*;
use std::collections::HashMap;
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
    let (board, items) = leaderboard::compute_with_items(
        &current,
        &tasks,
        &loaded,
        &models,
        &judges,
        &Options::default(),
    );
    let overview = report::overview(&board, &models, &items);
    let order: Vec<String> = board.rows.iter().map(|r| r.model.clone()).collect();
    let renderer = Renderer::new(&order);
    let root = session.store.root().parent().unwrap_or(Path::new("."));

    // Each task's items, models in the board's order.
    let mut by_task: HashMap<&str, Vec<(&str, &Item<'_>)>> = HashMap::new();
    for m in &order {
        let Some(at) = models.iter().position(|x| x == m) else {
            continue;
        };
        for i in &items[at] {
            by_task
                .entry(i.task.id())
                .or_default()
                .push((m.as_str(), i));
        }
    }
    let details: Vec<(String, String)> = tasks
        .par_iter()
        .filter_map(|t| {
            let list = by_task.get(t.id())?;
            let inputs = list
                .iter()
                .map(|(model, item)| detail::Input {
                    model,
                    item,
                    record: match item.path {
                        None => Ok(None),
                        Some(p) => session
                            .store
                            .read_generation(p)
                            .map(Some)
                            .map_err(|e| format!("cannot read {}: {e}", shown(root, p))),
                    },
                })
                .collect();
            let mut d = detail::task(t, current.slop, &judges, inputs);
            for e in d.samples.iter_mut().flat_map(|s| &mut s.entries) {
                if let Some(f) = &e.file {
                    e.file = Some(shown(root, Path::new(f)));
                }
            }
            Some(
                renderer
                    .detail(&d)
                    .map(|packed| (t.id().to_string(), packed)),
            )
        })
        .collect::<Result<_, _>>()
        .context("cannot render a task's detail")?;

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
    let page = renderer
        .page(
            &Meta {
                project: &project,
                generated_at: &fabula_engine::scheduler::now(),
                judges: &judges,
                tasks: tasks.len(),
                scope: (!scope.is_empty()).then(|| scope.join("; ")),
            },
            &overview,
            &details,
        )
        .context("cannot render the report")?;
    std::fs::write(&args.out, &page)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let items_shown: usize = overview.items.len();
    writeln!(
        std::io::stderr(),
        "Wrote {} ({}, {} items of {} model(s) on {} task(s), {} problem file(s) skipped) in {:.2} s. Open it in a browser.",
        args.out.display(),
        size(page.len()),
        items_shown,
        order.len(),
        details.len(),
        loaded.problems.len(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(Outcome::Success)
}

/// A record's path relative to the project root, as the page shows it.
fn shown(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

//! `fabula status`: what the results store holds, per model.

use super::session::Session;
use crate::Outcome;
use crate::args::ProjectArgs;
use fabula_core::model::Status;
use std::collections::BTreeMap;
use std::io::Write;

pub fn run(args: &ProjectArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(args)?;
    let loaded = session.store.load();
    let current = session.current();
    let (tasks, _) = session.tasks(&super::all_work())?;
    let by_id: BTreeMap<&str, _> = tasks.iter().map(|t| (t.task.id.as_str(), t)).collect();
    #[derive(Default)]
    struct Counts {
        ok: usize,
        failed: usize,
        stale: usize,
        evals_ok: usize,
        evals_failed: usize,
        cost: f64,
    }
    let mut per: BTreeMap<String, Counts> = BTreeMap::new();
    for (_, g) in &loaded.generations {
        let c = per.entry(g.model.clone()).or_default();
        c.cost += g.cost_usd.unwrap_or(0.0);
        let fresh = by_id
            .get(g.task.as_str())
            .and_then(|t| current.generation(t, &g.model))
            .is_some_and(|fp| fp == g.fingerprint);
        match (fresh, g.status) {
            (false, _) => c.stale += 1,
            (true, Status::Ok) => c.ok += 1,
            (true, Status::Failed) => c.failed += 1,
        }
    }
    for (_, e) in &loaded.evaluations {
        let c = per.entry(e.model.clone()).or_default();
        c.cost += e.cost_usd.unwrap_or(0.0);
        match e.status {
            Status::Ok => c.evals_ok += 1,
            Status::Failed => c.evals_failed += 1,
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "results/: {}", session.store.root().display())?;
    if per.is_empty() {
        writeln!(out, "No records yet. `fabula run` starts the benchmark.")?;
        return Ok(Outcome::Success);
    }
    writeln!(
        out,
        "{:<28} {:>6} {:>7} {:>6} {:>8} {:>8} {:>10}",
        "model", "gen ok", "failed", "stale", "eval ok", "failed", "cost $"
    )?;
    for (m, c) in &per {
        writeln!(
            out,
            "{m:<28} {:>6} {:>7} {:>6} {:>8} {:>8} {:>10.4}",
            c.ok, c.failed, c.stale, c.evals_ok, c.evals_failed, c.cost
        )?;
    }
    if !loaded.problems.is_empty() {
        writeln!(
            out,
            "{} file(s) under results/ are not records (first: {}: {})",
            loaded.problems.len(),
            loaded.problems[0].0.display(),
            loaded.problems[0].1
        )?;
    }
    Ok(Outcome::Success)
}

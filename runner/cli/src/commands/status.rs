//! `fabula status`: what the results store holds, per model.

use super::session::Session;
use crate::Outcome;
use crate::args::StatusArgs;
use fabula_core::model::{FailureKind, Status};
use std::collections::BTreeMap;
use std::io::Write;

pub fn run(args: &StatusArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let loaded = session.store.load();
    let current = session.current();
    let tasks = session.all_tasks();
    let by_id: BTreeMap<&str, _> = tasks.iter().map(|t| (t.id(), t)).collect();
    // Failures with today's fingerprints, by kind: (count, example, where).
    let mut reasons: BTreeMap<(&str, FailureKind), (usize, String, String)> = BTreeMap::new();
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
            (true, Status::Failed) => {
                c.failed += 1;
                let kind = g.failure.unwrap_or(FailureKind::Provider);
                let entry = reasons.entry(("generation", kind)).or_insert_with(|| {
                    (
                        0,
                        g.error.clone().unwrap_or_default(),
                        format!("{} × {} sample {}", g.task, g.model, g.sample),
                    )
                });
                entry.0 += 1;
            }
        }
    }
    for (_, e) in &loaded.evaluations {
        let c = per.entry(e.model.clone()).or_default();
        c.cost += e.cost_usd.unwrap_or(0.0);
        match e.status {
            Status::Ok => c.evals_ok += 1,
            Status::Failed => {
                c.evals_failed += 1;
                let kind = e.failure.unwrap_or(FailureKind::Provider);
                let entry = reasons.entry(("evaluation", kind)).or_insert_with(|| {
                    (
                        0,
                        e.error.clone().unwrap_or_default(),
                        format!("{} × {} by {}", e.task, e.model, e.judge),
                    )
                });
                entry.0 += 1;
            }
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
    if !loaded.rankings.is_empty() {
        let raters: std::collections::BTreeSet<&str> = loaded
            .rankings
            .iter()
            .map(|(_, r)| r.rater.as_str())
            .collect();
        writeln!(
            out,
            "{} human ranking(s) by {} rater(s) under results/rankings/: `fabula agreement` compares them with the judges.",
            loaded.rankings.len(),
            raters.len()
        )?;
    }
    if args.verbose && !reasons.is_empty() {
        writeln!(out, "\nFailures by reason:")?;
        for ((what, kind), (n, example, at)) in &reasons {
            let class = if kind.is_model() {
                "model failure: scores 0"
            } else {
                "infrastructure: item incomplete"
            };
            writeln!(
                out,
                "  {n:>5} {what} {} ({class})\n        e.g. {at}: {}",
                kind.as_str(),
                fabula_core::text::excerpt(example, 160)
            )?;
        }
        writeln!(
            out,
            "`fabula run --retry-failed` runs failed work again; `fabula clean-failed` deletes it."
        )?;
    } else if !reasons.is_empty() {
        let n: usize = reasons.values().map(|r| r.0).sum();
        writeln!(
            out,
            "{n} failed record(s): `fabula status -v` groups them by reason."
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

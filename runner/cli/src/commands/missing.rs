//! `fabula missing`: the work a run would do, without doing it.

use super::session::Session;
use crate::Outcome;
use crate::args::MissingArgs;
use crate::render::plural;
use fabula_eval::plan;
use std::io::Write;

pub fn run(args: &MissingArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.work.project)?;
    let (selection, _) = session.selection(&args.work)?;
    let loaded = session.store.load();
    let plan = plan::plan(&session.current(), &selection, &loaded);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Missing: {}, {} ({} and {} done{}).",
        plural(plan.total_generations(), "generation"),
        plural(plan.total_evaluations(), "evaluation"),
        plural(plan.done_generations, "generation"),
        plural(plan.done_evaluations, "evaluation"),
        if plan.failed.total() > 0 {
            format!(
                "; {} of them failed: `fabula status -v` says why",
                plan.failed.total()
            )
        } else {
            String::new()
        }
    )?;
    for (m, n) in &plan.generations {
        writeln!(out, "  generate  {m:<28} {n:>6}")?;
    }
    for (j, n) in &plan.evaluations {
        writeln!(out, "  judge     {j:<28} {n:>6}")?;
    }
    if args.verbose {
        for job in &plan.jobs {
            let what = if job.existing.is_some() {
                "judge only"
            } else {
                "generate + judge"
            };
            writeln!(
                out,
                "  {} × {} sample {}: {what} ({})",
                job.task.id(),
                job.model,
                job.sample,
                job.judges.join(", ")
            )?;
        }
    }
    Ok(Outcome::Success)
}

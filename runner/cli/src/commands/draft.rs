//! `fabula draft`: model-drafted tasks behind check, repair, a near-duplicate screen and a
//! validator (`fabula_engine::draft`). Prints each draft's fate as it is decided, then
//! the rejected ones with their reasons and a summary table with the cost.

use crate::Outcome;
use crate::args::DraftArgs;
use crate::commands::session::Session;
use anyhow::bail;
use fabula_core::scaffold;
use fabula_engine::draft::{self, Draft, DraftResult, Models, Project, Report, Request};
use fabula_engine::provider::Tuning;
use std::io::Write as _;

pub fn run(args: &DraftArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let config = session.config();
    let task_type = scaffold::task_type(&args.task_type)?;
    if let Some(theory) = &args.theory {
        scaffold::theory(&session.ws, theory)?;
    }
    let validator = match &args.validator {
        Some(v) => v.clone(),
        None => match config.judges.first() {
            Some(j) => j.clone(),
            None => bail!("no --validator and no `judges` in fabula.yaml to take one from"),
        },
    };
    if let Some(e) = &session.env_error {
        anyhow::bail!("cannot read the keys: {e}");
    }
    let env = session.env.clone();
    let models: Models = draft::models(config, &env, &Tuning::default(), &args.model, &validator)
        .map_err(|errors| anyhow::anyhow!("cannot draft: {errors}"))?;
    let request = Request {
        task_type,
        theory: args.theory.clone(),
        count: args.count,
        min_score: args.min_score,
        repair_rounds: args.repair_rounds,
    };
    let project = Project {
        root: &session.root,
        ws: &session.ws,
    };
    if models.writer.simulated() || models.validator.simulated() {
        writeln!(
            std::io::stderr(),
            "note: drafting with the offline `sim` provider: SIMULATED drafts, a demo only"
        )?;
    }
    let runtime = crate::commands::runtime()?;
    let count = args.count;
    let report = runtime.block_on(draft::run(&models, &project, &request, &|d: &Draft| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", line(d, count));
    }))?;
    let mut out = std::io::stdout().lock();
    write_report(&mut out, &report)?;
    Ok(if report.accepted() == 0 || report.failed() > 0 {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

/// `draft 2/3 (three_act): kept → dataset/drafts/…` or `…: rejected: reason`.
fn line(d: &Draft, count: u32) -> String {
    let head = format!("draft {}/{count} ({})", d.index, d.theory);
    let repairs = match d.repairs {
        0 => String::new(),
        1 => "; 1 repair round".to_owned(),
        n => format!("; {n} repair rounds"),
    };
    match &d.result {
        DraftResult::Accepted { path } => {
            let scores = d
                .verdict
                .as_ref()
                .map_or_else(String::new, ToString::to_string);
            format!("{head}: kept → {path} ({scores}{repairs})")
        }
        DraftResult::Rejected(why) => format!("{head}: rejected: {why}"),
    }
}

fn write_report(out: &mut impl std::io::Write, report: &Report) -> std::io::Result<()> {
    let rejected: Vec<&Draft> = report
        .drafts
        .iter()
        .filter(|d| matches!(d.result, DraftResult::Rejected(_)))
        .collect();
    if !rejected.is_empty() {
        writeln!(out, "\nrejected:")?;
        for d in rejected {
            let DraftResult::Rejected(why) = &d.result else {
                continue;
            };
            let id =
                d.id.as_deref()
                    .map_or_else(String::new, |i| format!(" `{i}`"));
            writeln!(out, "  draft {}{id} ({}): {why}", d.index, d.theory)?;
            if let draft::Rejection::StillInvalid { report, .. } = why {
                for l in report.lines() {
                    writeln!(out, "    {l}")?;
                }
            }
        }
    }
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "drafts",
        "kept",
        "repaired",
        "rejected",
        "writer calls",
        "validator calls",
        "cost $",
    ]);
    t.add_row([
        report.drafts.len().to_string(),
        report.accepted().to_string(),
        report.repaired().to_string(),
        report.rejected().to_string(),
        report.writer.calls.to_string(),
        report.validator.calls.to_string(),
        cost(report),
    ]);
    writeln!(out, "\n{t}")?;
    if report.accepted() > 0 {
        writeln!(
            out,
            "Kept drafts are not part of runs: review them, then move them to dataset/tasks/<type>/."
        )?;
    }
    Ok(())
}

/// The cost to four decimals, with a note when some calls had no price.
fn cost(report: &Report) -> String {
    let unpriced = report.writer.unpriced + report.validator.unpriced;
    let usd = format!("{:.4}", report.cost());
    if unpriced > 0 {
        format!("{usd} (+{unpriced} unpriced)")
    } else {
        usd
    }
}

//! The leaderboard as text: Markdown, JSON or CSV, and the cells a terminal table is made
//! of. Shared by `fabula leaderboard` and the language server's `fabula/leaderboard`, so
//! both show the same numbers the same way.

use crate::leaderboard::{Board, Estimate, Row, type_label};
use std::io::Write;

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{s:.1}"))
}

/// `54.2 ±3.1`: the score and the half-width of its 95% interval.
pub fn estimate(e: Option<&Estimate>) -> String {
    e.map_or_else(
        || "-".to_string(),
        |e| format!("{:.1} ±{:.1}", e.score, (e.ci_high - e.ci_low) / 2.0),
    )
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// `1`, or `1=` when another row shares the rank.
fn rank(board: &Board, r: &Row) -> String {
    match r.rank {
        None => "-".to_string(),
        Some(n) => {
            let shared = board.rows.iter().filter(|o| o.rank == Some(n)).count() > 1;
            format!("{n}{}", if shared { "=" } else { "" })
        }
    }
}

fn name(r: &Row) -> String {
    let mut s = r.model.clone();
    if r.simulated {
        s.push_str(" (sim)");
    }
    if r.judged_by_simulator {
        s.push_str(" (sim judges)");
    }
    s
}

fn coverage(r: &Row) -> String {
    let c = &r.coverage;
    let mark = if c.complete < c.items { " !" } else { "" };
    format!("{}/{}{mark}", c.complete, c.items)
}

pub fn headers(board: &Board) -> Vec<String> {
    let mut h = vec!["#".to_string(), "model".to_string(), "score".to_string()];
    h.extend(board.task_types.iter().map(|t| type_label(t).to_string()));
    h.extend(
        ["pass", "complete", "failed", "cost $", "judge $"]
            .iter()
            .map(|s| s.to_string()),
    );
    h
}

pub fn rows(board: &Board) -> Vec<Vec<String>> {
    board
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![rank(board, r), name(r), estimate(r.score.as_ref())];
            row.extend(
                board
                    .task_types
                    .iter()
                    .map(|t| score(r.by_type.get(t).map(|e| e.score))),
            );
            row.push(pct(r.pass_rate));
            row.push(coverage(r));
            row.push((r.failed_generations + r.failed_evaluations).to_string());
            row.push(format!("{:.4}", r.cost_usd));
            row.push(format!("{:.4}", r.judge_cost_usd));
            row
        })
        .collect()
}

pub fn footer(board: &Board) -> String {
    let mut s = String::new();
    if board.rows.iter().all(|r| r.coverage.complete == 0) {
        s.push_str("No results yet for these models: `fabula run` starts the benchmark. ");
    } else if board.allow_partial {
        s.push_str(
            "Ranked on each model's own complete items (--allow-partial): rows may cover different items. ",
        );
    } else {
        s.push_str(&format!(
            "Ranked on the {} item(s) every model completed (of {} per model); ± is half the 95% bootstrap interval, ranks that overlap are ties (=). ",
            board.common_items, board.items
        ));
    }
    let incomplete: Vec<String> = board
        .rows
        .iter()
        .filter(|r| r.coverage.complete < r.coverage.items && r.coverage.complete > 0)
        .map(|r| {
            let why: Vec<String> = r
                .coverage
                .incomplete
                .iter()
                .map(|(why, n)| format!("{n} {why}"))
                .collect();
            format!("{} ({})", r.model, why.join(", "))
        })
        .collect();
    if !incomplete.is_empty() {
        s.push_str(&format!("Incomplete (!): {}. ", incomplete.join("; ")));
    }
    s.push_str(&format!(
        "Judges: {}. Agreement: Krippendorff's alpha {}, mean Kendall's tau {}.",
        board.agreement.judges.join(", "),
        board
            .agreement
            .alpha
            .map_or("n/a".into(), |a| format!("{a:.2}")),
        board
            .agreement
            .kendall_tau
            .map_or("n/a".into(), |t| format!("{t:.2}")),
    ));
    if let Some(median) = board
        .human
        .as_ref()
        .and_then(|h| h.rows.iter().find(|r| r.median))
        && let Some(tau) = median.tau
    {
        s.push_str(&format!(
            " With people: the judges' median order has Kendall's tau-b {tau:+.2} against {} human ranking(s) over {} task(s) (`fabula agreement` per judge).",
            median.compared, median.tasks
        ));
    }
    if board.stale_generations + board.stale_evaluations > 0 {
        s.push_str(&format!(
            " Left out as stale: {} generations, {} evaluations.",
            board.stale_generations, board.stale_evaluations
        ));
    }
    if board.mismatched_evaluations > 0 {
        s.push_str(&format!(
            " Left out: {} evaluation(s) of a text other than the stored one (two runs at once?); a run judges again.",
            board.mismatched_evaluations
        ));
    }
    if board.rows.iter().any(|r| r.simulated) {
        s.push_str(" (sim) = offline simulator, not a real model.");
    }
    if board.rows.iter().any(|r| r.judged_by_simulator) {
        s.push_str(" (sim judges) = judged by the offline simulator: not a real judgement.");
    }
    s
}

pub fn markdown(out: &mut impl Write, board: &Board) -> std::io::Result<()> {
    let h = headers(board);
    writeln!(out, "# Fabula leaderboard\n")?;
    writeln!(out, "| {} |", h.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(h.len()))?;
    for r in rows(board) {
        writeln!(out, "| {} |", r.join(" | "))?;
    }
    writeln!(out, "\n{}", footer(board))?;
    writeln!(
        out,
        "\nScore: 50% programmatic (word range, repetition, stock phrases) + 50% median of the judges, 0-100; a model's score is the mean over tasks of the mean over samples. Model failures score 0 and count; infrastructure failures leave an item incomplete."
    )
}

pub fn json(out: &mut impl Write, board: &Board) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, board)?;
    writeln!(out)
}

pub fn csv(out: &mut impl Write, board: &Board) -> std::io::Result<()> {
    let mut h: Vec<String> = [
        "rank",
        "model",
        "simulated",
        "score",
        "ci_low",
        "ci_high",
        "ranked_items",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for t in &board.task_types {
        h.extend([t.clone(), format!("{t}_ci_low"), format!("{t}_ci_high")]);
    }
    h.extend(
        [
            "pass_rate",
            "items",
            "complete",
            "scored",
            "model_failures",
            "unjudgeable",
            "incomplete",
            "failed_generations",
            "failed_evaluations",
            "cost_usd",
            "judge_cost_usd",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    writeln!(out, "{}", h.join(","))?;
    let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.4}"));
    for r in &board.rows {
        let e = r.score.as_ref();
        let mut row = vec![
            r.rank.map_or(String::new(), |n| n.to_string()),
            csv_quote(&r.model),
            r.simulated.to_string(),
            num(e.map(|e| e.score)),
            num(e.map(|e| e.ci_low)),
            num(e.map(|e| e.ci_high)),
            e.map_or(0, |e| e.items).to_string(),
        ];
        for t in &board.task_types {
            let e = r.by_type.get(t);
            row.extend([
                num(e.map(|e| e.score)),
                num(e.map(|e| e.ci_low)),
                num(e.map(|e| e.ci_high)),
            ]);
        }
        let c = &r.coverage;
        row.extend([
            num(r.pass_rate),
            c.items.to_string(),
            c.complete.to_string(),
            c.scored.to_string(),
            c.model_failures.to_string(),
            c.unjudgeable.to_string(),
            (c.items - c.complete).to_string(),
            r.failed_generations.to_string(),
            r.failed_evaluations.to_string(),
            format!("{:.6}", r.cost_usd),
            format!("{:.6}", r.judge_cost_usd),
        ]);
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

/// A CSV field, quoted when it needs to be.
pub fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

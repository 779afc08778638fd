//! The leaderboard as text: Markdown, JSON or CSV, and the cells a terminal table is made
//! of. Shared by `fabula leaderboard` and the language server's `fabula/leaderboard`.

use crate::leaderboard::{Board, type_label};
use std::io::Write;

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{s:.1}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{:.0}%", s * 100.0))
}

pub fn headers(board: &Board) -> Vec<String> {
    let mut h = vec!["model".to_string(), "score".to_string()];
    h.extend(board.task_types.iter().map(|t| type_label(t).to_string()));
    h.extend(
        ["pass", "items", "failed", "cost $", "judge $"]
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
            let mut row = vec![
                if r.simulated {
                    format!("{} (sim)", r.model)
                } else {
                    r.model.clone()
                },
                score(r.score),
            ];
            row.extend(
                board
                    .task_types
                    .iter()
                    .map(|t| score(r.by_type.get(t).copied())),
            );
            row.push(pct(r.pass_rate));
            row.push(format!("{}/{}", r.scored, r.items));
            row.push((r.failed_generations + r.failed_evaluations).to_string());
            row.push(format!("{:.4}", r.cost_usd));
            row.push(format!("{:.4}", r.judge_cost_usd));
            row
        })
        .collect()
}

pub fn footer(board: &Board) -> String {
    let mut s = format!(
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
    );
    if board.stale_generations + board.stale_evaluations > 0 {
        s.push_str(&format!(
            " Left out as stale: {} generations, {} evaluations.",
            board.stale_generations, board.stale_evaluations
        ));
    }
    if board.rows.iter().all(|r| r.items == 0) {
        s.push_str(" No results yet for these models: `fabula run` starts the benchmark.");
    }
    if board.rows.iter().any(|r| r.simulated) {
        s.push_str(" (sim) = offline simulator, not a real model.");
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
        "\nScore: 50% programmatic (word range, repetition, stock phrases) + 50% median of the judges, 0-100, mean over items."
    )
}

pub fn json(out: &mut impl Write, board: &Board) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, board)?;
    writeln!(out)
}

pub fn csv(out: &mut impl Write, board: &Board) -> std::io::Result<()> {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut h: Vec<String> = vec!["model".into(), "simulated".into(), "score".into()];
    h.extend(board.task_types.iter().cloned());
    h.extend(
        [
            "pass_rate",
            "items",
            "scored",
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
        let mut row = vec![quote(&r.model), r.simulated.to_string(), num(r.score)];
        row.extend(
            board
                .task_types
                .iter()
                .map(|t| num(r.by_type.get(t).copied())),
        );
        row.extend([
            num(r.pass_rate),
            r.items.to_string(),
            r.scored.to_string(),
            r.failed_generations.to_string(),
            r.failed_evaluations.to_string(),
            format!("{:.6}", r.cost_usd),
            format!("{:.6}", r.judge_cost_usd),
        ]);
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

//! `fabula agreement` as text: how well each judge and the judges' median agree with
//! people (Kendall's tau-b, mean over tasks, 95% interval), people with each other, and
//! the tasks where judges and people disagree most; as terminal tables, Markdown or JSON.

use fabula_eval::agreement::{Agreement, Row};
use std::io::Write;

/// One titled table with notes under it.
struct Section {
    title: String,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

pub fn table(out: &mut impl Write, a: &Agreement) -> std::io::Result<()> {
    for s in sections(a) {
        writeln!(out, "{}", s.title)?;
        if !s.rows.is_empty() {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(s.headers.clone());
            for r in s.rows {
                t.add_row(r);
            }
            writeln!(out, "{t}")?;
        }
        for n in s.notes {
            writeln!(out, "{n}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{READING}")
}

pub fn markdown(out: &mut impl Write, a: &Agreement) -> std::io::Result<()> {
    writeln!(out, "# Fabula: judges against people\n")?;
    for s in sections(a) {
        writeln!(out, "## {}\n", s.title)?;
        if !s.rows.is_empty() {
            writeln!(out, "| {} |", s.headers.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(s.headers.len()))?;
            for r in s.rows {
                let cells: Vec<String> = r.iter().map(|c| markdown_cell(c)).collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
            writeln!(out)?;
        }
        for n in s.notes {
            writeln!(out, "{n}\n")?;
        }
    }
    writeln!(out, "{READING}")
}

pub fn json(out: &mut impl Write, a: &Agreement) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, a)?;
    writeln!(out)
}

const READING: &str = "\
tau is Kendall's tau-b (ties counted) between a person's ranking of a task sample's
outputs and a judge's order of the same outputs (its judge part; the median: the item
score): 1 the same order, 0 unrelated, -1 reversed. Mean over tasks of the mean over
each task's rankings; the interval is a 95% bootstrap over tasks, then rankings.";

fn sections(a: &Agreement) -> Vec<Section> {
    let mut out = Vec::new();
    let counted = if a.raters.is_empty() {
        "No ranking counted".to_string()
    } else {
        format!(
            "{} ranking(s) by {} counted",
            a.counted,
            a.raters.join(", ")
        )
    };
    let mut notes = vec![format!(
        "{counted}{}.",
        if a.stale > 0 {
            format!(
                "; {} not counted (a ranked output changed or was re-run since, or a newer ranking by the same person replaced it)",
                a.stale
            )
        } else {
            String::new()
        }
    )];
    if a.counted == 0 {
        notes.push(
            "No ranking to compare with yet: `fabula rank --export sheet.csv`, fill the rank column, then `fabula rank --import sheet.csv`."
                .to_string(),
        );
    }
    if let Some(best) = best_judges(a) {
        notes.push(best);
    }
    let mut rows: Vec<Vec<String>> = a.rows.iter().map(row).collect();
    if let Some(r) = &a.inter_rater {
        rows.push(row(r));
    }
    out.push(Section {
        title: "Judges against people (Kendall's tau-b)".to_string(),
        headers: vec!["Against people", "tau", "95% interval", "Tasks", "Compared"],
        rows,
        notes,
    });
    if !a.disagreements.is_empty() {
        out.push(Section {
            title: "Where the judges and people disagree most".to_string(),
            headers: vec![
                "Task",
                "tau",
                "Rankings",
                "Worst: rater, sample",
                "People",
                "Judges (median)",
            ],
            rows: a
                .disagreements
                .iter()
                .map(|d| {
                    vec![
                        d.task.clone(),
                        format!("{:+.2}", d.tau),
                        d.rankings.to_string(),
                        format!("{}, s{}", d.rater, d.sample),
                        order(&d.human),
                        order(&d.judges),
                    ]
                })
                .collect(),
            notes: Vec::new(),
        });
    }
    out
}

/// Which judges people agree with most: the highest mean tau, with every judge that
/// shares it.
fn best_judges(a: &Agreement) -> Option<String> {
    let judges: Vec<(&str, f64)> = a
        .rows
        .iter()
        .filter(|r| !r.median)
        .filter_map(|r| Some((r.who.as_str(), r.tau?)))
        .collect();
    let best = judges.iter().map(|j| j.1).max_by(f64::total_cmp)?;
    let top: Vec<&str> = judges
        .iter()
        .filter(|j| (j.1 - best).abs() < 1e-12)
        .map(|j| j.0)
        .collect();
    Some(if top.len() > 1 && top.len() == judges.len() {
        format!("People agree equally with every judge (tau {best:+.2}).")
    } else if top.len() > 1 {
        format!(
            "People agree most with {} (tau {best:+.2} each).",
            top.join(" and ")
        )
    } else {
        format!("People agree most with {} (tau {best:+.2}).", top[0])
    })
}

fn row(r: &Row) -> Vec<String> {
    vec![
        r.who.clone(),
        r.tau.map_or("-".to_string(), |t| format!("{t:+.2}")),
        r.ci.map_or("-".to_string(), |(lo, hi)| format!("[{lo:+.2}, {hi:+.2}]")),
        r.tasks.to_string(),
        r.compared.to_string(),
    ]
}

/// An order, best first: `a > b = c`.
fn order(groups: &[Vec<String>]) -> String {
    groups
        .iter()
        .map(|g| g.join(" = "))
        .collect::<Vec<_>>()
        .join(" > ")
}

fn markdown_cell(c: &str) -> String {
    c.replace('|', "\\|").replace('\n', " ")
}

//! `fabula compare` as text: the same sections (the comparison per task type, per
//! criterion, the items that moved most, the pairwise results and ranking) as terminal
//! tables or Markdown, and the whole structure as JSON.

use comfy_table::ColumnConstraint::{self, UpperBoundary};
use comfy_table::Width;
use fabula_eval::compare::{Comparison, Diff, Pick};
use fabula_eval::leaderboard::type_label;
use fabula_eval::pairwise::{Record, Report};
use std::io::Write;

/// Widest a table cell is before it wraps.
const WRAP: usize = 60;

/// What the command shows.
pub struct Shown<'a> {
    pub comparisons: &'a [Comparison],
    pub pairwise: Option<&'a Report>,
    /// Where A came from with --base DIR or --base-stale.
    pub base: Option<String>,
    /// The --fail-if-worse margin.
    pub margin: Option<f64>,
}

/// One titled table with notes under it.
struct Section {
    title: String,
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

pub fn table(out: &mut impl Write, shown: &Shown<'_>) -> std::io::Result<()> {
    for s in sections(shown) {
        writeln!(out, "{}", s.title)?;
        if !s.rows.is_empty() {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(s.headers.clone());
            // Long text (a reason) wraps at a fixed width, terminal or not.
            let widest = |i: usize| s.rows.iter().map(|r| r[i].chars().count()).max();
            let constraints: Vec<ColumnConstraint> = (0..s.headers.len())
                .map(|i| match widest(i) {
                    Some(w) if w > WRAP => UpperBoundary(Width::Fixed(WRAP as u16)),
                    _ => ColumnConstraint::ContentWidth,
                })
                .collect();
            t.set_constraints(constraints);
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
    writeln!(out, "{}", reading(shown))
}

pub fn markdown(out: &mut impl Write, shown: &Shown<'_>) -> std::io::Result<()> {
    writeln!(out, "# Fabula comparison\n")?;
    for s in sections(shown) {
        writeln!(out, "## {}\n", s.title)?;
        if !s.rows.is_empty() {
            writeln!(out, "| {} |", s.headers.join(" | "))?;
            writeln!(out, "|{}", "---|".repeat(s.headers.len()))?;
            for r in s.rows {
                let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
                writeln!(out, "| {} |", cells.join(" | "))?;
            }
            writeln!(out)?;
        }
        for n in s.notes {
            writeln!(out, "{n}\n")?;
        }
    }
    writeln!(out, "{}", reading(shown))
}

pub fn json(out: &mut impl Write, shown: &Shown<'_>) -> std::io::Result<()> {
    let regressions: Vec<serde_json::Value> = shown
        .margin
        .map(|m| {
            shown
                .comparisons
                .iter()
                .filter_map(|c| {
                    let r = c.regression(m)?;
                    Some(serde_json::json!({"a": c.a, "b": c.b, "regression": r}))
                })
                .collect()
        })
        .unwrap_or_default();
    let value = serde_json::json!({
        "comparisons": shown.comparisons,
        "pairwise": shown.pairwise,
        "base": shown.base,
        "gate": shown.margin.map(|m| serde_json::json!({"margin": m, "regressions": regressions})),
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// A side as the output names it: `sim-writer-a`, or with a base `sim-writer-a (stale
/// records)` and `sim-writer-a (today)`.
pub fn label(c: &Comparison, a: bool, base: Option<&str>) -> String {
    let (model, pick) = if a {
        (&c.a, c.a_pick)
    } else {
        (&c.b, c.b_pick)
    };
    match (pick, base) {
        (Pick::Today, None) => model.clone(),
        (Pick::Today, Some(_)) => format!("{model} (today)"),
        (_, Some(b)) => format!("{model} ({b})"),
        (_, None) => format!("{model} (earlier records)"),
    }
}

/// `0.031`, `<0.001`; `~` before a Monte Carlo estimate.
pub fn p_value(p: f64, exact: bool) -> String {
    let mark = if exact { "" } else { "~" };
    if p < 0.001 {
        format!("{mark}<0.001")
    } else {
        format!("{mark}{p:.3}")
    }
}

fn signed(v: f64) -> String {
    format!("{v:+.1}")
}

fn interval(lo: f64, hi: f64) -> String {
    format!("[{lo:+.1}, {hi:+.1}]")
}

fn wtl(wins: usize, ties: usize, losses: usize) -> String {
    format!("{wins} / {ties} / {losses}")
}

/// The cells of a difference row after its label(s), `*` marking significance.
fn diff_cells(d: &Diff) -> Vec<String> {
    let p = d.p_holm.unwrap_or(d.p.p);
    let star = if d.significant() { " *" } else { "" };
    vec![
        d.pairs.to_string(),
        format!("{:.1}", d.a),
        format!("{:.1}", d.b),
        signed(d.diff),
        interval(d.ci_low, d.ci_high),
        format!("{}{star}", p_value(p, d.p.exact)),
        wtl(d.wins, d.ties, d.losses),
    ]
}

fn sections(shown: &Shown<'_>) -> Vec<Section> {
    let mut out = Vec::new();
    for c in shown.comparisons {
        let (a, b) = (
            label(c, true, shown.base.as_deref()),
            label(c, false, shown.base.as_deref()),
        );
        let mut rows = Vec::new();
        if let Some(d) = &c.overall {
            let mut row = vec!["all".to_string()];
            row.extend(diff_cells(d));
            rows.push(row);
        }
        for t in &c.by_type {
            let mut row = vec![type_label(&t.task_type).to_string()];
            row.extend(diff_cells(&t.diff));
            rows.push(row);
        }
        let mut notes = vec![format!(
            "{} pair(s) of {} item(s); judges: {}.",
            c.pairs,
            c.items,
            c.judges.join(", ")
        )];
        if !c.missing.is_empty() {
            let why: Vec<String> = c.missing.iter().map(|(w, n)| format!("{n} {w}")).collect();
            notes.push(format!("Not paired: {}.", why.join("; ")));
        }
        out.push(Section {
            title: format!("B = {b} vs A = {a} (0-100 points)"),
            headers: vec![
                "",
                "pairs",
                "A",
                "B",
                "B − A",
                "95% CI",
                "p",
                "B: W / T / L",
            ],
            rows,
            notes,
        });
        if !c.by_criterion.is_empty() {
            out.push(Section {
                title: format!("Per criterion: B = {b} vs A = {a} (judges' median ×100)"),
                headers: vec![
                    "type",
                    "criterion",
                    "pairs",
                    "A",
                    "B",
                    "B − A",
                    "95% CI",
                    "p (Holm)",
                    "B: W / T / L",
                ],
                rows: c
                    .by_criterion
                    .iter()
                    .map(|r| {
                        let mut row =
                            vec![type_label(&r.task_type).to_string(), r.criterion.clone()];
                        row.extend(diff_cells(&r.diff));
                        row
                    })
                    .collect(),
                notes: Vec::new(),
            });
        }
        if !c.moved.is_empty() {
            out.push(Section {
                title: format!("Moved most: B = {b} vs A = {a}"),
                headers: vec!["task", "sample", "A", "B", "B − A", "why"],
                rows: c
                    .moved
                    .iter()
                    .map(|m| {
                        vec![
                            m.task.clone(),
                            m.sample.to_string(),
                            format!("{:.1}", m.a),
                            format!("{:.1}", m.b),
                            signed(m.diff),
                            m.reason.clone(),
                        ]
                    })
                    .collect(),
                notes: Vec::new(),
            });
        }
    }
    if let Some(p) = shown.pairwise {
        out.extend(pairwise_sections(p));
    }
    out
}

fn pairwise_sections(p: &Report) -> Vec<Section> {
    let rate = |r: &Record| {
        r.win_rate()
            .map_or("-".into(), |w| format!("{:.0}%", w * 100.0))
    };
    let share = |n: usize, of: usize| {
        if of == 0 {
            "-".to_string()
        } else {
            format!("{n}/{of}")
        }
    };
    let mut out = vec![Section {
        title: format!(
            "Pairwise, both orders (judges: {})",
            p.judges.join(", ")
        ),
        headers: vec![
            "B vs A",
            "compared",
            "B: W / T / L",
            "B win rate",
            "95% CI",
            "p",
            "orders disagreed",
            "1st shown won",
            "words A / B",
            "longer won",
        ],
        rows: p
            .matchups
            .iter()
            .map(|m| {
                let w = m.win_rate.as_ref();
                vec![
                    format!("{} vs {}", m.b, m.a),
                    format!("{}/{}", m.compared, m.items),
                    wtl(m.record.wins, m.record.ties, m.record.losses),
                    w.map_or("-".into(), |w| format!("{:.0}%", w.rate * 100.0)),
                    w.map_or("-".into(), |w| {
                        format!("[{:.0}%, {:.0}%]", w.ci_low * 100.0, w.ci_high * 100.0)
                    }),
                    w.map_or("-".into(), |w| p_value(w.p.p, w.p.exact)),
                    share(m.position.disagreements, m.position.judgements),
                    share(m.position.first_won, m.position.decided),
                    format!(
                        "{:.0} / {:.0}",
                        m.lengths.mean_words_a, m.lengths.mean_words_b
                    ),
                    share(m.lengths.longer_won, m.lengths.decided),
                ]
            })
            .collect(),
        notes: vec![
            "An item is won when the judges' median, over both orders, prefers B; a judge whose two orders disagree counts a tie. Ties count half in the win rate; p tests it against 50%.".to_string(),
        ],
    }];
    let rows: Vec<Vec<String>> = p
        .matchups
        .iter()
        .flat_map(|m| {
            m.by_criterion.iter().map(move |c| {
                vec![
                    format!("{} vs {}", m.b, m.a),
                    type_label(&c.task_type).to_string(),
                    c.criterion.clone(),
                    wtl(c.record.wins, c.record.ties, c.record.losses),
                    rate(&c.record),
                    c.order_disagreements.to_string(),
                ]
            })
        })
        .collect();
    if !rows.is_empty() {
        out.push(Section {
            title: "Pairwise per criterion".to_string(),
            headers: vec![
                "B vs A",
                "type",
                "criterion",
                "B: W / T / L",
                "B win rate",
                "orders disagreed",
            ],
            rows,
            notes: Vec::new(),
        });
    }
    if !p.ranking.is_empty() {
        out.push(Section {
            title: "Bradley–Terry ranking (Elo-like: +400 is 10 to 1 odds)".to_string(),
            headers: vec!["#", "model", "rating", "95% CI"],
            rows: p
                .ranking
                .iter()
                .map(|r| {
                    vec![
                        r.rank.map_or("-".into(), |n| n.to_string()),
                        r.model.clone(),
                        format!("{:.0}", r.rating),
                        format!("[{:.0}, {:.0}]", r.ci_low, r.ci_high),
                    ]
                })
                .collect(),
            notes: vec!["Ranks whose intervals overlap are shared.".to_string()],
        });
    }
    out
}

/// How to read the numbers, under the tables.
fn reading(shown: &Shown<'_>) -> String {
    let mut s = String::from(
        "B − A > 0: B scored higher. 95% CI: paired bootstrap over tasks, then samples. p: two-sided paired sign-flip permutation test (exact up to 20 non-zero differences; ~ Monte Carlo); per type and criterion Holm-adjusted; * p < 0.05.",
    );
    if let Some(m) = shown.margin {
        let worse: Vec<String> = shown
            .comparisons
            .iter()
            .filter(|c| c.regression(m).is_some())
            .map(|c| label(c, false, shown.base.as_deref()))
            .collect();
        s.push_str(&format!(
            " Gate (--fail-if-worse {m}): p < 0.05 and the whole interval below −{m}: {}.",
            if worse.is_empty() {
                "passed".to_string()
            } else {
                format!("failed for {}", worse.join(", "))
            }
        ));
    }
    s
}

//! The leaderboard as JUnit XML (`fabula leaderboard --format junit`), so a CI system
//! shows each model's standing as test results: one test case per model (`overall`) and
//! one per model × task type, each against `--fail-under`.
//!
//! A case fails when its score is below the threshold, or when there is no score at all
//! (the gate treats an unscored model as failing). Without a threshold every scored case
//! passes and an unscored one is skipped. Every case carries its score, 95% interval and
//! coverage as output. The numbers are the [`Board`]'s, never recomputed here; the
//! escaping is [`super::junit`]'s (model names come from the project).

use super::junit::{attribute, text};
use fabula_eval::leaderboard::{Board, Estimate, Row};
use std::io::{self, Write};

/// The suite's name, as CI systems show it.
const SUITE: &str = "fabula leaderboard";

/// Writes `board` as JUnit XML, judged against `fail_under` (0-100).
pub fn write(out: &mut dyn Write, board: &Board, fail_under: Option<f64>) -> io::Result<()> {
    let cases = cases(board, fail_under);
    let failures = cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Failed(_)))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Skipped))
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let counts = format!(
        r#"tests="{}" failures="{failures}" errors="0" skipped="{skipped}""#,
        cases.len()
    );
    writeln!(out, r#"<testsuites name="{SUITE}" {counts}>"#)?;
    writeln!(out, r#"  <testsuite name="{SUITE}" {counts}>"#)?;
    writeln!(out, "    <properties>")?;
    let mut properties = vec![
        ("items per model", board.items.to_string()),
        ("common items", board.common_items.to_string()),
        ("allow partial", board.allow_partial.to_string()),
    ];
    if let Some(min) = fail_under {
        properties.insert(0, ("fail under", min.to_string()));
    }
    for (name, value) in properties {
        writeln!(
            out,
            r#"      <property name="{name}" value="{}"/>"#,
            attribute(&value)
        )?;
    }
    writeln!(out, "    </properties>")?;
    for case in &cases {
        write!(
            out,
            r#"    <testcase classname="fabula.leaderboard.{}" name="{}">"#,
            attribute(case.model),
            attribute(case.name)
        )?;
        writeln!(out)?;
        match &case.verdict {
            Verdict::Passed => {}
            Verdict::Skipped => writeln!(out, r#"      <skipped message="unscored"/>"#)?,
            Verdict::Failed(kind) => writeln!(
                out,
                r#"      <failure message="{}" type="{kind}">{}</failure>"#,
                attribute(&case.failure_message(fail_under)),
                text(&case.summary)
            )?,
        }
        writeln!(
            out,
            "      <system-out>{}</system-out>",
            text(&case.summary)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// One test case: a model overall or on one task type.
struct Case<'a> {
    model: &'a str,
    /// `overall` or the task type.
    name: &'a str,
    score: Option<Estimate>,
    verdict: Verdict,
    /// Score, interval and coverage, one line.
    summary: String,
}

enum Verdict {
    Passed,
    Skipped,
    /// The failure's type: `fail-under` or `unscored`.
    Failed(&'static str),
}

impl Case<'_> {
    fn failure_message(&self, fail_under: Option<f64>) -> String {
        let min = fail_under.unwrap_or_default();
        match self.score {
            Some(e) => format!("score {:.1} is below {min}", e.score),
            None => format!("unscored, so below {min}"),
        }
    }
}

fn cases(board: &Board, fail_under: Option<f64>) -> Vec<Case<'_>> {
    let verdict = |score: Option<Estimate>| match (score, fail_under) {
        (Some(e), Some(min)) if e.score < min => Verdict::Failed("fail-under"),
        (Some(_), _) => Verdict::Passed,
        (None, Some(_)) => Verdict::Failed("unscored"),
        (None, None) => Verdict::Skipped,
    };
    let mut cases = Vec::new();
    for row in &board.rows {
        cases.push(Case {
            model: &row.model,
            name: "overall",
            score: row.score,
            verdict: verdict(row.score),
            summary: overall(board, row),
        });
        for ty in &board.task_types {
            let score = row.by_type.get(ty).copied();
            cases.push(Case {
                model: &row.model,
                name: ty,
                score,
                verdict: verdict(score),
                summary: score.map_or_else(
                    || format!("{ty}: unscored (no ranked item of this type)"),
                    |e| format!("{ty}: {}", estimate(&e)),
                ),
            });
        }
    }
    cases
}

/// `score 95.0 (95% CI 90.0-100.0) over 2 items`
fn estimate(e: &Estimate) -> String {
    format!(
        "score {:.1} (95% CI {:.1}-{:.1}) over {} item{}",
        e.score,
        e.ci_low,
        e.ci_high,
        e.items,
        if e.items == 1 { "" } else { "s" }
    )
}

/// The overall line: score, interval, rank, coverage, pass rate.
fn overall(board: &Board, row: &Row) -> String {
    let c = &row.coverage;
    let mut s = match &row.score {
        Some(e) => estimate(e),
        None => "unscored".to_string(),
    };
    if let Some(rank) = row.rank {
        let shared = board.rows.iter().filter(|o| o.rank == Some(rank)).count() > 1;
        s.push_str(&format!(
            ", rank {rank}{}",
            if shared { " (shared)" } else { "" }
        ));
    }
    s.push_str(&format!(", coverage {}/{} items", c.complete, c.items));
    if let Some(p) = row.pass_rate {
        s.push_str(&format!(", pass rate {:.0}%", p * 100.0));
    }
    if board.allow_partial {
        s.push_str(" (ranked on its own items)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::write;
    use fabula_eval::leaderboard::{Board, Coverage, Estimate, Row};

    const HOSTILE: &str = "m<x> & \"q\" 'a' ]]> \u{1}\n\t";

    fn board() -> Board {
        let e = |score: f64| Estimate {
            score,
            ci_low: score - 1.0,
            ci_high: score + 1.0,
            items: 2,
        };
        let mut scored = Row {
            model: HOSTILE.to_string(),
            rank: Some(1),
            score: Some(e(70.0)),
            pass_rate: Some(0.5),
            coverage: Coverage {
                items: 2,
                complete: 2,
                ..Coverage::default()
            },
            ..Row::default()
        };
        scored.by_type.insert("beat_revision".into(), e(59.96));
        let unscored = Row {
            model: "empty".to_string(),
            coverage: Coverage {
                items: 2,
                ..Coverage::default()
            },
            ..Row::default()
        };
        Board {
            rows: vec![scored, unscored],
            task_types: vec!["beat_revision".into()],
            items: 2,
            common_items: 2,
            ..Board::default()
        }
    }

    fn render(fail_under: Option<f64>) -> String {
        let mut out = Vec::new();
        write(&mut out, &board(), fail_under).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `(classname, name, failure message, skipped)` per case, checking the counts.
    fn parse(xml: &str) -> Vec<(String, String, Option<String>, bool)> {
        let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let suite = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|c| {
                let failure = c.children().find(|n| n.has_tag_name("failure"));
                (
                    c.attribute("classname").unwrap().to_string(),
                    c.attribute("name").unwrap().to_string(),
                    failure.map(|f| f.attribute("message").unwrap().to_string()),
                    c.children().any(|n| n.has_tag_name("skipped")),
                )
            })
            .collect()
    }

    #[test]
    fn hostile_model_names_come_out_escaped_and_well_formed() {
        let xml = render(Some(60.0));
        let cases = parse(&xml);
        // Markup, quotes, and the line break and tab of an attribute survive; the
        // control character XML cannot hold becomes U+FFFD.
        let model = "fabula.leaderboard.m<x> & \"q\" 'a' ]]> \u{FFFD}\n\t";
        assert_eq!(cases[0].0, model);
        assert_eq!(cases.len(), 4);
        // 70.0 passes 60; 59.96 (shown 60.0) is below it; the unscored model fails both.
        assert_eq!(cases[0].2, None);
        assert_eq!(
            cases[1].2.as_deref(),
            Some("score 60.0 is below 60"),
            "the comparison is on the unrounded score"
        );
        assert_eq!(cases[2].2.as_deref(), Some("unscored, so below 60"));
        assert_eq!(cases[3].2.as_deref(), Some("unscored, so below 60"));
        assert!(xml.contains(r#"tests="4" failures="3" errors="0" skipped="0""#));
        assert!(xml.contains(
            "score 70.0 (95% CI 69.0-71.0) over 2 items, rank 1, coverage 2/2 items, pass rate 50%"
        ));
    }

    #[test]
    fn without_a_threshold_scored_cases_pass_and_unscored_ones_are_skipped() {
        let xml = render(None);
        let cases = parse(&xml);
        let verdicts: Vec<_> = cases.iter().map(|c| (c.2.is_some(), c.3)).collect();
        assert_eq!(
            verdicts,
            [(false, false), (false, false), (false, true), (false, true)]
        );
        assert!(xml.contains(r#"tests="4" failures="0" errors="0" skipped="2""#));
        assert!(!xml.contains("fail under"));
        assert!(xml.contains(
            "<system-out>beat_revision: score 60.0 (95% CI 59.0-61.0) over 2 items</system-out>"
        ));
    }
}

//! The deterministic rule-based feedback of agentic iterative revision: what a checker
//! (not a model) can say about a draft. The same draft always gets the same feedback.
//!
//! Rules, in the order reported:
//! 1. word count inside the task's range ([`crate::text_rules::word_count`]);
//! 2. every `must_include` term present, every `must_not_include` term absent (matched
//!    as whole words, ignoring case: [`crate::text_rules::contains_term`]);
//! 3. with beat markers on, one `[beat: <id>]` line per beat, each once, in order, and no
//!    marker for a beat the task does not list;
//! 4. no stock phrase from the slop list.

use crate::model::WordRange;
use crate::template;
use crate::text_rules::{beat_marker, count_term_in, tokens, word_count};

/// What the checker needs to know about the task.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    pub words: WordRange,
    pub must_include: &'a [String],
    pub must_not_include: &'a [String],
    /// Beats in order, when markers are required.
    pub markers: Option<&'a [String]>,
    pub slop: &'a [String],
}

/// One problem found in a draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    TooShort {
        words: usize,
        min: u32,
    },
    TooLong {
        words: usize,
        max: u32,
    },
    Missing(String),
    Forbidden(String),
    MarkerMissing(String),
    MarkerRepeated(String),
    MarkerUnknown(String),
    MarkersOutOfOrder {
        expected: Vec<String>,
        found: Vec<String>,
    },
    Slop {
        phrase: String,
        count: usize,
    },
}

impl Problem {
    /// The problem in words, from the `feedback_*` template parts.
    pub fn message(&self) -> String {
        match self {
            Problem::TooShort { words, min } => template::render(
                "feedback_too_short",
                &[("words", &words.to_string()), ("min", &min.to_string())],
            ),
            Problem::TooLong { words, max } => template::render(
                "feedback_too_long",
                &[("words", &words.to_string()), ("max", &max.to_string())],
            ),
            Problem::Missing(t) => template::render("feedback_missing", &[("term", t)]),
            Problem::Forbidden(t) => template::render("feedback_forbidden", &[("term", t)]),
            Problem::MarkerMissing(b) => {
                template::render("feedback_marker_missing", &[("beat", b)])
            }
            Problem::MarkerRepeated(b) => {
                template::render("feedback_marker_repeated", &[("beat", b)])
            }
            Problem::MarkerUnknown(b) => {
                template::render("feedback_marker_unknown", &[("beat", b)])
            }
            Problem::MarkersOutOfOrder { expected, found } => template::render(
                "feedback_markers_out_of_order",
                &[
                    ("expected", &expected.join(", ")),
                    ("found", &found.join(", ")),
                ],
            ),
            Problem::Slop { phrase, count: 1 } => {
                template::render("feedback_slop_once", &[("phrase", phrase)])
            }
            Problem::Slop { phrase, count } => template::render(
                "feedback_slop_times",
                &[("phrase", phrase), ("count", &count.to_string())],
            ),
        }
    }
}

/// Everything wrong with `draft` under `rules`.
pub fn check(draft: &str, rules: &Rules<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    // Split once: every term and phrase is matched against the same tokens.
    let tokens = tokens(draft);
    let words = word_count(draft);
    if words < rules.words.min as usize {
        out.push(Problem::TooShort {
            words,
            min: rules.words.min,
        });
    } else if words > rules.words.max as usize {
        out.push(Problem::TooLong {
            words,
            max: rules.words.max,
        });
    }
    for t in rules.must_include {
        if count_term_in(&tokens, t) == 0 {
            out.push(Problem::Missing(t.clone()));
        }
    }
    for t in rules.must_not_include {
        if count_term_in(&tokens, t) > 0 {
            out.push(Problem::Forbidden(t.clone()));
        }
    }
    if let Some(beats) = rules.markers {
        let found: Vec<String> = draft
            .lines()
            .filter_map(beat_marker)
            .map(str::to_string)
            .collect();
        for b in beats {
            match found.iter().filter(|f| *f == b).count() {
                0 => out.push(Problem::MarkerMissing(b.clone())),
                1 => {}
                _ => out.push(Problem::MarkerRepeated(b.clone())),
            }
        }
        for f in &found {
            if !beats.contains(f) && !out.contains(&Problem::MarkerUnknown(f.clone())) {
                out.push(Problem::MarkerUnknown(f.clone()));
            }
        }
        let known: Vec<String> = found
            .iter()
            .filter(|f| beats.contains(f))
            .cloned()
            .collect();
        let expected: Vec<String> = beats
            .iter()
            .filter(|b| known.contains(b))
            .cloned()
            .collect();
        let mut dedup = known.clone();
        dedup.dedup();
        if dedup.len() == expected.len() && dedup != expected {
            out.push(Problem::MarkersOutOfOrder {
                expected,
                found: dedup,
            });
        }
    }
    for phrase in rules.slop {
        let count = count_term_in(&tokens, phrase);
        if count > 0 {
            out.push(Problem::Slop {
                phrase: phrase.clone(),
                count,
            });
        }
    }
    out
}

/// The feedback text shown to the model.
pub fn render(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return template::render("feedback_all_clear", &[]);
    }
    problems
        .iter()
        .map(|p| template::render("feedback_line", &[("message", &p.message())]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn reports_each_rule() {
        let include = s(&["fog", "pilot ladder"]);
        let exclude = s(&["suddenly"]);
        let beats = s(&["setup", "confrontation", "resolution"]);
        let slop = s(&["time seemed to stand still"]);
        let rules = Rules {
            words: WordRange { min: 10, max: 100 },
            must_include: &include,
            must_not_include: &exclude,
            markers: Some(&beats),
            slop: &slop,
        };
        let draft = "[beat: confrontation]\nSuddenly the fog.\n[beat: setup]\nTime seemed to stand still.\n[beat: epilogue]\n";
        let problems = check(draft, &rules);
        assert_eq!(
            problems,
            vec![
                Problem::TooShort { words: 8, min: 10 },
                Problem::Missing("pilot ladder".into()),
                Problem::Forbidden("suddenly".into()),
                Problem::MarkerMissing("resolution".into()),
                Problem::MarkerUnknown("epilogue".into()),
                Problem::MarkersOutOfOrder {
                    expected: s(&["setup", "confrontation"]),
                    found: s(&["confrontation", "setup"]),
                },
                Problem::Slop {
                    phrase: "time seemed to stand still".into(),
                    count: 1
                },
            ]
        );
        let text = render(&problems);
        assert!(text.contains("needs at least 10"), "{text}");
        assert_eq!(text.lines().count(), problems.len());
    }

    #[test]
    fn a_clean_draft_gets_the_all_clear() {
        let rules = Rules {
            words: WordRange { min: 1, max: 10 },
            must_include: &[],
            must_not_include: &[],
            markers: None,
            slop: &[],
        };
        let problems = check("A clean short draft.", &rules);
        assert!(problems.is_empty());
        assert!(render(&problems).starts_with("No rule violations"));
    }
}

//! The judge criteria of every task type, read from the versioned data file
//! `runner/core/criteria.yaml`: ids, weights, questions, scales, the item lists some
//! criteria are judged over, and each type's pass rule. Nothing about a criterion is
//! written anywhere else.

use crate::model::TaskType;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../criteria.yaml");

/// How a judge answers a criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// `pass` (1), `partial` (0.5) or `fail` (0).
    Verdict,
    /// 1 to 5, mapped to 0, 0.25, 0.5, 0.75, 1.
    Five,
}

impl Scale {
    /// The 0..=1 score of a verdict on this scale; `None` for one the scale lacks.
    pub fn score(self, verdict: &str) -> Option<f64> {
        match (self, verdict) {
            (Scale::Verdict, "pass") => Some(1.0),
            (Scale::Verdict, "partial") => Some(0.5),
            (Scale::Verdict, "fail") => Some(0.0),
            (Scale::Five, "1" | "2" | "3" | "4" | "5") => {
                verdict.parse::<f64>().ok().map(|n| (n - 1.0) / 4.0)
            }
            _ => None,
        }
    }

    /// The verdicts a judge may give, in order.
    pub fn verdicts(self) -> &'static [&'static str] {
        match self {
            Scale::Verdict => &["pass", "partial", "fail"],
            Scale::Five => &["1", "2", "3", "4", "5"],
        }
    }
}

/// A list of the task that a criterion is judged over, one verdict per item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    TargetElements,
    Beats,
    TargetBeats,
    MustInclude,
    MustNotInclude,
    Constraints,
    Preserve,
    Requirements,
    Links,
    HiddenConstraints,
    Steps,
}

/// One criterion of a task type.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub id: String,
    pub weight: u32,
    #[serde(default = "verdict")]
    pub scale: Scale,
    #[serde(default)]
    pub per: Option<Per>,
    pub question: String,
}

fn verdict() -> Scale {
    Scale::Verdict
}

/// How pass/fail is computed from the judges' verdicts.
#[derive(Clone, Debug, PartialEq)]
pub enum PassRule {
    /// The weighted judge part (0..=1) is at least this.
    JudgeScore(f64),
    /// At least `share` of the items of `of` are met (median score above 0.5).
    ItemsMet { share: f64, of: Vec<String> },
}

impl PassRule {
    /// The rule in words, for reports and help.
    pub fn describe(&self) -> String {
        match self {
            PassRule::JudgeScore(min) => {
                format!("judge part at least {:.0}%", min * 100.0)
            }
            PassRule::ItemsMet { share, of } => format!(
                "at least {:.0}% of the items of {} met",
                share * 100.0,
                of.join(", ")
            ),
        }
    }
}

/// The criteria of one task type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeCriteria {
    pub pass: PassRule,
    pub criteria: Vec<Criterion>,
}

impl TypeCriteria {
    pub fn get(&self, id: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.id == id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPass {
    #[serde(default)]
    judge_score: Option<f64>,
    #[serde(default)]
    items_met: Option<f64>,
    #[serde(default)]
    of: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawType {
    pass: RawPass,
    criteria: Vec<Criterion>,
}

fn all() -> &'static BTreeMap<TaskType, TypeCriteria> {
    static ALL: OnceLock<BTreeMap<TaskType, TypeCriteria>> = OnceLock::new();
    ALL.get_or_init(|| {
        // Embedded data, checked by the tests below: a failure here is a build mistake.
        let raw: BTreeMap<TaskType, RawType> =
            serde_saphyr::from_str(DATA).expect("criteria.yaml parses");
        raw.into_iter()
            .map(|(t, r)| {
                let pass = match (r.pass.judge_score, r.pass.items_met) {
                    (Some(min), None) => PassRule::JudgeScore(min),
                    (None, Some(share)) => PassRule::ItemsMet {
                        share,
                        of: r.pass.of,
                    },
                    _ => panic!("criteria.yaml: {t}: pass needs judge_score or items_met"),
                };
                (
                    t,
                    TypeCriteria {
                        pass,
                        criteria: r.criteria,
                    },
                )
            })
            .collect()
    })
}

thread_local! {
    static OVERRIDE: std::cell::Cell<Option<&'static BTreeMap<TaskType, TypeCriteria>>> =
        const { std::cell::Cell::new(None) };
}

/// Runs `f` with the criteria as `edit` changes them (on this thread): how tests prove
/// that editing the criteria data makes exactly the right records stale. The edited
/// copy is leaked; this is for tests.
pub fn overriding<R>(
    edit: impl FnOnce(&mut BTreeMap<TaskType, TypeCriteria>),
    f: impl FnOnce() -> R,
) -> R {
    let mut copy = current().clone();
    edit(&mut copy);
    let leaked: &'static BTreeMap<TaskType, TypeCriteria> = Box::leak(Box::new(copy));
    let outer = OVERRIDE.with(|o| o.replace(Some(leaked)));
    let result = f();
    OVERRIDE.with(|o| o.set(outer));
    result
}

fn current() -> &'static BTreeMap<TaskType, TypeCriteria> {
    OVERRIDE.with(|o| o.get()).unwrap_or_else(all)
}

/// The criteria of `task_type`.
pub fn of(task_type: TaskType) -> &'static TypeCriteria {
    &current()[&task_type]
}

/// Criterion ids and default weights (summing to 100) of a task type.
pub fn default_weights(task_type: TaskType) -> Vec<(&'static str, u32)> {
    of(task_type)
        .criteria
        .iter()
        .map(|c| (c.id.as_str(), c.weight))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_criteria_summing_to_100_with_unique_ids() {
        for t in TaskType::ALL {
            let c = of(t);
            let sum: u32 = c.criteria.iter().map(|c| c.weight).sum();
            assert_eq!(sum, 100, "{t}");
            let mut ids: Vec<&str> = c.criteria.iter().map(|c| c.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), c.criteria.len(), "{t}: duplicate ids");
            for q in &c.criteria {
                assert!(q.question.ends_with('?'), "{t}/{}: {}", q.id, q.question);
            }
            if let PassRule::ItemsMet { of: ids, share } = &c.pass {
                assert!(*share > 0.0 && *share <= 1.0);
                for id in ids {
                    assert!(c.get(id).is_some(), "{t}: pass rule names `{id}`");
                }
            }
        }
    }

    #[test]
    fn spec_pass_rules() {
        assert_eq!(
            of(TaskType::ConstrainedContinuation).pass,
            PassRule::ItemsMet {
                share: 0.8,
                of: vec![
                    "must_include".into(),
                    "must_not".into(),
                    "tone".into(),
                    "ending".into()
                ]
            }
        );
        assert_eq!(
            of(TaskType::TheoryConversion).pass,
            PassRule::ItemsMet {
                share: 0.7,
                of: vec!["beats".into()]
            }
        );
        assert!(
            of(TaskType::Sequence)
                .criteria
                .iter()
                .all(|c| c.scale == Scale::Five && c.per == Some(Per::Steps))
        );
    }

    #[test]
    fn scales_map_verdicts() {
        assert_eq!(Scale::Verdict.score("partial"), Some(0.5));
        assert_eq!(Scale::Verdict.score("3"), None);
        assert_eq!(Scale::Five.score("1"), Some(0.0));
        assert_eq!(Scale::Five.score("4"), Some(0.75));
        assert_eq!(Scale::Five.score("pass"), None);
    }
}

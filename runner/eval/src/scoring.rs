//! The one score of a generation (an *item*: one model's generation of one task sample),
//! used by the leaderboard, the editor's hover and code lens, reports and exports alike.
//!
//! - A generation that failed by the model's own doing (length, refusal, empty answer,
//!   broken protocol: [`FailureKind::is_model`]) is *complete* and scores 0, fails.
//! - A generation that failed for infrastructure reasons (HTTP errors after retries,
//!   timeouts, the breaker, a failing oracle or critic) is *incomplete*: it says nothing
//!   about the model.
//! - A generation is scored once at least one judge answered usably: 50% programmatic +
//!   50% the judges' median ([`fabula_core::score`]), pass by the type's rule.
//! - When every judge answered and none usably, the generation is *unjudgeable*: it is
//!   complete with a judge part of 0. A text that makes every judge fail must never leave
//!   the average and so improve its model's standing.
//! - Otherwise (not judged yet, judges failing for infrastructure reasons) it is
//!   incomplete.

use crate::prepared::PreparedTask;
use fabula_core::judge::Rubric;
use fabula_core::metrics;
use fabula_core::model::{Breakdown, EvaluationRecord, FailureKind, GenerationSummary, Status};
use fabula_core::score::{self, JudgeAggregate};
use serde::Serialize;

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Generated and judged.
    Scored,
    /// The model failed: complete, scored 0.
    ModelFailed(FailureKind),
    /// Every judge answered, none usably: complete, judge part 0.
    Unjudgeable,
    /// Not complete.
    Incomplete(Gap),
}

/// Why an item is incomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// No generation with today's fingerprint.
    NotGenerated,
    /// The generation failed for an infrastructure reason.
    GenerationFailed(FailureKind),
    /// Some configured judge has no evaluation yet, and none answered usably.
    NotJudged,
    /// Judges failed for infrastructure reasons, and none answered usably.
    JudgesFailed,
}

impl Gap {
    pub fn describe(self) -> String {
        match self {
            Gap::NotGenerated => "not generated".into(),
            Gap::GenerationFailed(k) => format!("generation failed ({})", k.as_str()),
            Gap::NotJudged => "not judged".into(),
            Gap::JudgesFailed => "judges failed".into(),
        }
    }
}

impl Standing {
    /// Complete items count in scores; incomplete ones leave the item out.
    pub fn complete(self) -> bool {
        !matches!(self, Standing::Incomplete(_))
    }
}

/// An item's score and what is behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemScore {
    pub standing: Standing,
    /// 0..=100 for complete items; `None` for incomplete ones.
    pub final_score: Option<f64>,
    /// Programmatic part of the final output, 0..=1 (ok generations).
    pub programmatic: Option<f64>,
    pub breakdown: Option<Breakdown>,
    /// The programmatic score of each draft, then of the final output (revision kinds).
    pub trajectory: Vec<f64>,
    /// Weighted judge part, 0..=1.
    pub judge: Option<f64>,
    /// By the type's pass rule; `Some(false)` for model failures and unjudgeable items.
    pub pass: Option<bool>,
    /// The judges' aggregate, when some judge answered usably.
    pub aggregate: Option<JudgeAggregate>,
}

impl ItemScore {
    /// An item with nothing to score yet.
    pub fn incomplete(gap: Gap) -> ItemScore {
        ItemScore {
            standing: Standing::Incomplete(gap),
            final_score: None,
            programmatic: None,
            breakdown: None,
            trajectory: Vec::new(),
            judge: None,
            pass: None,
            aggregate: None,
        }
    }
}

/// The programmatic scores of a generation: the stored ones while their key is today's,
/// else recomputed for the final output (the drafts are not in a summary).
pub fn programmatic(
    task: &PreparedTask,
    slop: &[String],
    g: &GenerationSummary,
) -> (Vec<f64>, Breakdown) {
    let key = metrics::cache_key(task.task.words, slop);
    match &g.programmatic {
        Some(p) if p.key == key && !p.trajectory.is_empty() => {
            (p.trajectory.clone(), p.breakdown.clone())
        }
        _ => {
            let p = metrics::programmatic(&g.output, task.task.words, slop);
            (vec![p.total], p.breakdown())
        }
    }
}

/// Scores generation `g` of `task` from `evaluations` (the ones that count: today's
/// fingerprint, the generation's exact text, one of `judges`).
pub fn score(
    task: &PreparedTask,
    slop: &[String],
    rubric: &Rubric,
    g: &GenerationSummary,
    evaluations: &[&EvaluationRecord],
    judges: &[String],
) -> ItemScore {
    if g.status != Status::Ok {
        let kind = g.failure.unwrap_or(FailureKind::Provider);
        if !kind.is_model() {
            return ItemScore::incomplete(Gap::GenerationFailed(kind));
        }
        return ItemScore {
            standing: Standing::ModelFailed(kind),
            final_score: Some(0.0),
            pass: Some(false),
            ..ItemScore::incomplete(Gap::NotGenerated)
        };
    }
    let (trajectory, breakdown) = programmatic(task, slop, g);
    let prog = breakdown.total;
    let aggregate = score::aggregate(rubric, evaluations);
    let base = ItemScore {
        standing: Standing::Scored,
        final_score: None,
        programmatic: Some(prog),
        breakdown: Some(breakdown),
        trajectory,
        judge: None,
        pass: None,
        aggregate: None,
    };
    if aggregate.judge.is_some() {
        return ItemScore {
            final_score: score::final_score(prog, aggregate.judge),
            judge: aggregate.judge,
            pass: aggregate.pass,
            aggregate: Some(aggregate),
            ..base
        };
    }
    let answered_unusably = |j: &String| {
        evaluations
            .iter()
            .any(|e| &e.judge == j && e.failure == Some(FailureKind::Unparsable))
    };
    if !judges.is_empty() && judges.iter().all(answered_unusably) {
        return ItemScore {
            standing: Standing::Unjudgeable,
            final_score: score::final_score(prog, Some(0.0)),
            judge: Some(0.0),
            pass: Some(false),
            ..base
        };
    }
    let missing = judges.is_empty()
        || judges
            .iter()
            .any(|j| !evaluations.iter().any(|e| &e.judge == j));
    ItemScore {
        standing: Standing::Incomplete(if missing {
            Gap::NotJudged
        } else {
            Gap::JudgesFailed
        }),
        ..base
    }
}

//! Score against cost (or latency): the Pareto frontier, and the one configuration the
//! report recommends, by a rule the page states ([`RULE`]).
//!
//! A configuration is on the frontier when no other is at least as good on both axes
//! and better on one: none costs as little or less *and* scores as high or higher.
//! Identical points are all on it.

use crate::leaderboard::Estimate;
use serde::Serialize;

/// A ranked configuration with what the trade-offs read.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub model: String,
    pub score: Estimate,
    /// Generation cost per item, USD; `None` when unknown (no price, none reported).
    pub cost: Option<f64>,
    /// Median latency of a generation, seconds.
    pub latency: Option<f64>,
}

/// One chart of score against an axis.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tradeoff {
    /// Configurations with a value on the axis, cheapest first.
    pub points: Vec<Point>,
    /// Configurations without a value on the axis (not drawn).
    pub missing: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub model: String,
    pub x: f64,
    pub score: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub on_frontier: bool,
}

impl Tradeoff {
    /// The frontier's points, cheapest first.
    pub fn frontier(&self) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(|p| p.on_frontier)
    }
}

/// The rule [`recommend`] follows, as the page states it.
pub const RULE: &str = "Among the configurations whose 95% interval overlaps the interval \
of the best score (the ones the data cannot tell apart from the best), the one with the \
lowest generation cost per item. An unknown cost counts as the highest; equal costs go to \
the higher score.";

/// The recommended configuration and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub model: String,
    pub rule: &'static str,
    /// The best-scoring configuration.
    pub best: String,
    /// The configurations whose interval overlaps the best's (the best included), in the
    /// order the rule ranks them.
    pub contenders: Vec<String>,
    /// The rule applied, in a sentence with the numbers.
    pub reason: String,
}

/// The points of `candidates` on the axis `x`, with the frontier marked.
pub fn tradeoff(candidates: &[Candidate], x: impl Fn(&Candidate) -> Option<f64>) -> Tradeoff {
    let mut points: Vec<Point> = Vec::new();
    let mut missing = Vec::new();
    for c in candidates {
        match x(c).filter(|v| v.is_finite()) {
            Some(v) => points.push(Point {
                model: c.model.clone(),
                x: v,
                score: c.score.score,
                ci_low: c.score.ci_low,
                ci_high: c.score.ci_high,
                on_frontier: false,
            }),
            None => missing.push(c.model.clone()),
        }
    }
    let on = frontier(&points.iter().map(|p| (p.x, p.score)).collect::<Vec<_>>());
    for (p, on) in points.iter_mut().zip(on) {
        p.on_frontier = on;
    }
    points.sort_by(|a, b| {
        a.x.total_cmp(&b.x)
            .then(b.score.total_cmp(&a.score))
            .then(a.model.cmp(&b.model))
    });
    Tradeoff { points, missing }
}

/// For each `(x, score)`, whether it is on the frontier (lower x and higher score are
/// better).
pub fn frontier(points: &[(f64, f64)]) -> Vec<bool> {
    points
        .iter()
        .map(|&(x, s)| {
            !points
                .iter()
                .any(|&(ox, os)| ox <= x && os >= s && (ox < x || os > s))
        })
        .collect()
}

/// Whether two 95% intervals overlap (touching counts).
pub fn overlaps(a: &Estimate, b: &Estimate) -> bool {
    a.ci_low <= b.ci_high && b.ci_low <= a.ci_high
}

/// The configuration [`RULE`] picks; `None` without candidates.
pub fn recommend(candidates: &[Candidate]) -> Option<Recommendation> {
    let best = candidates.iter().max_by(|a, b| {
        a.score
            .score
            .total_cmp(&b.score.score)
            .then(b.model.cmp(&a.model))
    })?;
    let mut contenders: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| overlaps(&c.score, &best.score))
        .collect();
    let high = |v: Option<f64>| v.unwrap_or(f64::INFINITY);
    contenders.sort_by(|a, b| {
        high(a.cost)
            .total_cmp(&high(b.cost))
            .then(b.score.score.total_cmp(&a.score.score))
            .then(a.model.cmp(&b.model))
    });
    let pick = contenders[0];
    let reason = if pick.model == best.model {
        match contenders.len() - 1 {
            0 => format!(
                "{} has the best score, {}, and no other configuration is within its interval.",
                pick.model,
                estimate(&pick.score)
            ),
            1 => format!(
                "{} has the best score, {}, and the one other configuration within its \
                 interval does not cost less per item.",
                pick.model,
                estimate(&pick.score)
            ),
            n => format!(
                "{} has the best score, {}, and none of the {n} others within its interval \
                 costs less per item.",
                pick.model,
                estimate(&pick.score)
            ),
        }
    } else {
        format!(
            "{} scores {}, within the interval of the best, {} ({}), at {} per item against {}.",
            pick.model,
            estimate(&pick.score),
            best.model,
            estimate(&best.score),
            cost(pick),
            cost(best)
        )
    };
    Some(Recommendation {
        model: pick.model.clone(),
        rule: RULE,
        best: best.model.clone(),
        contenders: contenders.iter().map(|c| c.model.clone()).collect(),
        reason,
    })
}

fn estimate(e: &Estimate) -> String {
    format!(
        "{:.1} (95% interval {:.1}–{:.1})",
        e.score, e.ci_low, e.ci_high
    )
}

fn cost(c: &Candidate) -> String {
    c.cost
        .map_or_else(|| "an unknown cost".to_string(), |usd| format!("${usd:.4}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_keeps_what_nothing_beats_on_both_axes() {
        // (cost, score): b is beaten by a (cheaper, higher); d ties c on cost and scores
        // less; e repeats a exactly, so both stay.
        let points = [
            (1.0, 70.0),
            (2.0, 60.0),
            (3.0, 80.0),
            (3.0, 75.0),
            (1.0, 70.0),
            (0.5, 10.0),
        ];
        assert_eq!(
            frontier(&points),
            vec![true, false, true, false, true, true]
        );
        assert!(frontier(&[]).is_empty());
    }

    #[test]
    fn intervals_that_touch_overlap() {
        let e = |lo, hi| Estimate {
            score: (lo + hi) / 2.0,
            ci_low: lo,
            ci_high: hi,
            items: 1,
        };
        assert!(overlaps(&e(10.0, 20.0), &e(20.0, 30.0)));
        assert!(overlaps(&e(10.0, 40.0), &e(20.0, 30.0)));
        assert!(!overlaps(&e(10.0, 19.9), &e(20.0, 30.0)));
    }
}

//! Reading the models' answers (sync, pure): the draft's YAML out of the writer's answer,
//! the validator's scores by a strict JSON parse, and the acceptance rule.

use serde::Deserialize;
use std::fmt;

/// The YAML of a writer's answer: the inside of its first ```yaml (or bare ```) block,
/// else the whole answer. Whatever comes out is checked by the core like any file, so a
/// malformed answer becomes `fabula check`'s own diagnostics, sent back for repair.
pub fn draft_yaml(answer: &str) -> String {
    let mut text = fenced(answer).unwrap_or_else(|| answer.trim()).to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The body of the first fenced block whose info string is empty, `yaml` or `yml`; an
/// unclosed block runs to the end.
fn fenced(answer: &str) -> Option<&str> {
    let mut rest = answer;
    while let Some(at) = rest.find("```") {
        let (info, body) = rest[at + 3..].split_once('\n')?;
        if matches!(info.trim(), "" | "yaml" | "yml") {
            let end = if body.starts_with("```") {
                0
            } else {
                body.find("\n```").map_or(body.len(), |e| e + 1)
            };
            return Some(&body[..end]);
        }
        rest = body;
    }
    None
}

/// The four criteria a validator scores, in report order.
pub const CRITERIA: [&str; 4] = ["clarity", "solvability", "originality", "fit"];

/// One criterion's score (1–5) and reason.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub score: u8,
    pub reason: String,
}

/// A validator's verdict on a draft.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    pub clarity: Score,
    pub solvability: Score,
    pub originality: Score,
    pub fit: Score,
}

impl Verdict {
    /// `(criterion, score)` in [`CRITERIA`] order.
    pub fn scores(&self) -> [(&'static str, &Score); 4] {
        [
            ("clarity", &self.clarity),
            ("solvability", &self.solvability),
            ("originality", &self.originality),
            ("fit", &self.fit),
        ]
    }

    /// The acceptance rule: every criterion scored at least `min_score`. One weak
    /// criterion is enough to reject (a clear task that is unsolvable is no task).
    pub fn accepts(&self, min_score: u8) -> bool {
        self.scores().iter().all(|(_, s)| s.score >= min_score)
    }

    /// The criteria under `min_score`, with their reasons.
    pub fn shortfalls(&self, min_score: u8) -> Vec<String> {
        self.scores()
            .iter()
            .filter(|(_, s)| s.score < min_score)
            .map(|(name, s)| format!("{name} {}: {}", s.score, s.reason))
            .collect()
    }
}

impl fmt::Display for Verdict {
    /// `clarity 5, solvability 4, originality 4, fit 5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .scores()
            .iter()
            .map(|(name, s)| format!("{name} {}", s.score))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Why a validator answer is not a verdict.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerdictError {
    #[error("the validator's answer is not the JSON asked for: {0}")]
    Json(String),
    #[error("the validator scored {criterion} {score}, outside 1-5")]
    OutOfRange { criterion: &'static str, score: u8 },
    #[error("the validator gave no reason for {0}")]
    NoReason(&'static str),
}

/// Parses a validator's answer strictly: one JSON object (a ```json fence around it is
/// tolerated), exactly the four criteria, each a score from 1 to 5 and a reason. Anything
/// else is an error that rejects the draft; it is never turned into a score.
pub fn verdict(answer: &str) -> Result<Verdict, VerdictError> {
    let text = answer.trim();
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text)
        .trim();
    let verdict: Verdict =
        serde_json::from_str(text).map_err(|e| VerdictError::Json(e.to_string()))?;
    for (criterion, s) in verdict.scores() {
        if !(1..=5).contains(&s.score) {
            return Err(VerdictError::OutOfRange {
                criterion,
                score: s.score,
            });
        }
        if s.reason.trim().is_empty() {
            return Err(VerdictError::NoReason(criterion));
        }
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"clarity": {"score": 5, "reason": "clear"}, "solvability": {"score": 4, "reason": "fits"}, "originality": {"score": 3, "reason": "a familiar plot"}, "fit": {"score": 5, "reason": "tests the beat"}}"#;

    #[test]
    fn takes_the_fenced_yaml_or_the_whole_answer() {
        assert_eq!(
            draft_yaml("Here:\n```yaml\nid: a\ntype: x\n```\nDone."),
            "id: a\ntype: x\n"
        );
        assert_eq!(draft_yaml("```\nid: a\n```"), "id: a\n");
        assert_eq!(draft_yaml("id: a\ntype: x"), "id: a\ntype: x\n");
        // An unclosed fence runs to the end of the answer.
        assert_eq!(draft_yaml("```yaml\nid: a\n"), "id: a\n");
    }

    #[test]
    fn a_verdict_parses_strictly() {
        let v = verdict(GOOD).unwrap();
        assert_eq!(
            v.to_string(),
            "clarity 5, solvability 4, originality 3, fit 5"
        );
        assert!(v.accepts(3));
        assert!(!v.accepts(4));
        assert_eq!(v.shortfalls(4), ["originality 3: a familiar plot"]);
        assert_eq!(verdict(&format!("```json\n{GOOD}\n```")).unwrap(), v);

        let missing = r#"{"clarity": {"score": 5, "reason": "clear"}}"#;
        assert!(
            matches!(verdict(missing), Err(VerdictError::Json(m)) if m.contains("missing field `solvability`"))
        );
        let extra = GOOD.replace(r#""fit":"#, r#""bonus": 1, "fit":"#);
        assert!(
            matches!(verdict(&extra), Err(VerdictError::Json(m)) if m.contains("unknown field `bonus`"))
        );
        let range = GOOD.replace(r#""score": 3"#, r#""score": 6"#);
        assert_eq!(
            verdict(&range),
            Err(VerdictError::OutOfRange {
                criterion: "originality",
                score: 6
            })
        );
        let zero = GOOD.replace(r#""score": 3"#, r#""score": 0"#);
        assert!(verdict(&zero).is_err());
        let fraction = GOOD.replace(r#""score": 3"#, r#""score": 3.5"#);
        assert!(verdict(&fraction).is_err());
        let silent = GOOD.replace(r#""reason": "fits""#, r#""reason": " ""#);
        assert_eq!(verdict(&silent), Err(VerdictError::NoReason("solvability")));
        assert!(
            verdict(&format!("Sure! {GOOD}")).is_err(),
            "prose around the JSON"
        );
    }
}

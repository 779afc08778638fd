//! Judging one generation with one judge: the prompt from the core ([`fabula_core::judge`])
//! with a fence boundary drawn at random for this prompt, the answer schema sent with the
//! request, and retries of an answer that cannot be parsed.
//!
//! An answer that cannot be parsed is asked again, then reported as an `unparsable`
//! failure with the raw answer: never turned into a score. A call that fails is a
//! provider failure (the provider layer already retried what could be retried).

use crate::call::{CallError, Message};
use crate::model::ModelHandle;
use fabula_core::judge::{self, Rubric};
use fabula_core::kind::TaskInput;
use fabula_core::model::{CriterionVerdict, FailureKind, TokenBudget, Usage};
use std::time::Duration;

/// What one judge said about one generation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    pub criteria: Vec<CriterionVerdict>,
    pub error: Option<String>,
    pub failure: Option<FailureKind>,
    /// The last raw answer, when it could not be parsed.
    pub raw: Option<String>,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub latency: Duration,
    /// The call was refused (see [`crate::call::refuses_run`]): not a result to keep.
    pub refused: Option<CallError>,
}

/// Asks `judge` for a verdict on the generation whose judge view is `view`, retrying an
/// unparsable answer up to `retries` times.
pub async fn run(
    judge: &ModelHandle,
    input: TaskInput<'_>,
    view: &str,
    rubric: &Rubric,
    retries: u32,
) -> Verdict {
    let mut verdict = Verdict::default();
    for _ in 0..=retries {
        // A fresh boundary per prompt: a generation cannot learn it from an earlier try.
        let fence = judge::fence(fastrand::u64(..));
        let text = judge::prompt(input, rubric, view, &fence);
        let mut request =
            match judge.request(vec![Message::user(text)], TokenBudget::default(), true) {
                Ok(r) => r,
                Err(e) => {
                    verdict.error = Some(format!("judge `{}`: {e}", judge.name));
                    verdict.failure = Some(FailureKind::Config);
                    return verdict;
                }
            };
        request.response_schema = Some(judge::response_schema(rubric));
        match judge.call(&request).await {
            Ok(c) => {
                verdict.usage.add(c.usage);
                verdict.latency += c.latency;
                if let Some(cost) = c.cost_usd {
                    *verdict.cost_usd.get_or_insert(0.0) += cost;
                }
                match judge::parse(&c.text, rubric) {
                    Ok(criteria) => {
                        verdict.criteria = criteria;
                        verdict.error = None;
                        verdict.failure = None;
                        verdict.raw = None;
                        return verdict;
                    }
                    Err(e) => {
                        verdict.error =
                            Some(format!("judge `{}` answered unusably: {e}", judge.name));
                        verdict.failure = Some(FailureKind::Unparsable);
                        verdict.raw = Some(c.text);
                    }
                }
            }
            Err(e) if crate::call::refuses_run(&e) => {
                verdict.refused = Some(e);
                return verdict;
            }
            Err(e) => {
                verdict.error = Some(format!("judge `{}`: {e}", judge.name));
                verdict.failure = Some(crate::call::failure_kind(&e));
                return verdict;
            }
        }
    }
    verdict
}

//! Judging one generation with one judge: the prompt from the core ([`fabula_core::judge`])
//! with a fence boundary drawn at random for this prompt, the answer schema sent with the
//! request, and retries of an answer that cannot be parsed. [`ask`] is that loop for any
//! judging prompt (pairwise comparisons use it too).
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
pub type Verdict = Answer<Vec<CriterionVerdict>>;

/// What one judge answered to one judging prompt, parsed as `T`.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer<T> {
    /// Empty (default) unless the answer parsed.
    pub criteria: T,
    pub error: Option<String>,
    pub failure: Option<FailureKind>,
    /// The last raw answer, when it could not be parsed.
    pub raw: Option<String>,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub latency: Duration,
    /// The call was refused (see [`crate::call::refuses_run`]): not a result to keep.
    pub refused: Option<CallError>,
    /// The provider batch the last answer came in (`fabula run --batch`).
    pub batch: Option<String>,
}

impl<T: Default> Default for Answer<T> {
    fn default() -> Self {
        Answer {
            criteria: T::default(),
            error: None,
            failure: None,
            raw: None,
            usage: Usage::default(),
            cost_usd: None,
            latency: Duration::ZERO,
            refused: None,
            batch: None,
        }
    }
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
    ask(
        judge,
        |fence| judge::prompt(input, rubric, view, fence),
        || judge::response_schema(rubric),
        |text| judge::parse(text, rubric),
        retries,
    )
    .await
}

/// Asks `judge` the prompt `prompt(fence)` with the answer schema `schema()`, each try
/// with a fence boundary drawn at random, and parses the answer with `parse`, retrying an
/// unparsable answer up to `retries` times: the one retry loop of every kind of judging.
/// The schema is built only for a provider that reads it
/// ([`crate::provider::Provider::reads_answer_schema`]).
pub async fn ask<T: Default>(
    judge: &ModelHandle,
    prompt: impl Fn(&str) -> String,
    schema: impl FnOnce() -> serde_json::Value,
    parse: impl Fn(&str) -> Result<T, String>,
    retries: u32,
) -> Answer<T> {
    let schema = judge.provider.reads_answer_schema().then(schema);
    let mut verdict = Answer::default();
    for _ in 0..=retries {
        // A fresh boundary per prompt: a generation cannot learn it from an earlier try.
        let fence = judge::fence(fastrand::u64(..));
        let text = prompt(&fence);
        let mut request =
            match judge.request(vec![Message::user(text)], TokenBudget::default(), true) {
                Ok(r) => r,
                Err(e) => {
                    verdict.error = Some(format!("judge `{}`: {e}", judge.name));
                    verdict.failure = Some(FailureKind::Config);
                    return verdict;
                }
            };
        request.response_schema.clone_from(&schema);
        match judge.call(&request).await {
            Ok(c) => {
                verdict.batch.clone_from(&c.batch);
                verdict.usage.add(c.usage);
                verdict.latency += c.latency;
                if let Some(cost) = c.cost_usd {
                    *verdict.cost_usd.get_or_insert(0.0) += cost;
                }
                match parse(&c.text) {
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

//! What a provider's batch API looks like from the engine: [`BatchApi`] submits a list of
//! requests (each the very body [`super::Provider::complete`] would send), reports a
//! batch's state, and reads its results back into [`Completion`]s through the same
//! parsers and the same provider boundary (size cap, scrubber) as one call. OpenAI's Batch
//! API is `openai_batch.rs`, Anthropic's Message Batches `anthropic_batch.rs`; the queue
//! that gathers requests, persists batch ids and polls is [`crate::batch`].

use super::BoxFuture;
use crate::call::{CallError, ChatRequest, Completion};
use std::time::Duration;

/// One request of a batch: its id in the batch and its wire body.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchLine {
    pub custom_id: String,
    pub body: serde_json::Value,
}

/// Where a batch is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Validating, in progress, finalizing, or being cancelled: poll again.
    Running,
    /// Ended: its results (whatever there are) can be read.
    Ended(Ending),
}

/// How a batch ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every request was processed (each line may still have failed).
    Completed,
    /// The completion window passed: the lines done are kept, the rest have no result.
    Expired,
    /// Cancelled (by someone at the provider): like an expiry.
    Cancelled,
    /// The provider refused the batch as a whole (validation); no line has a result.
    Failed(String),
}

/// Requests of a batch, as the provider counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    /// Finished, successfully or not.
    pub done: u64,
    pub failed: u64,
}

/// A batch's state, and where its results are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchStatus {
    pub phase: Phase,
    pub counts: Counts,
    /// What to read for the results, in order: paths under the base URL or URLs on its
    /// host (OpenAI: the output file, then the error file; Anthropic: the results URL).
    pub results: Vec<String>,
}

/// A batch's results, read.
#[derive(Debug, Default)]
pub struct Lines {
    /// Each line's answer, by custom id, parsed like one call's body.
    pub answers: Vec<(String, Result<Completion, CallError>)>,
    /// Lines that could not be read at all (not JSON, no custom id): where and why.
    pub unreadable: Vec<String>,
}

/// A provider's batch API.
pub trait BatchApi: Send + Sync + std::fmt::Debug {
    /// The provider's name in `fabula.yaml`.
    fn provider(&self) -> &str;

    /// Which API: `openai` or `anthropic` (stored with a batch id).
    fn api(&self) -> &'static str;

    /// The wire body of `request`: exactly what one call sends.
    fn body(&self, request: &ChatRequest) -> Result<serde_json::Value, CallError>;

    /// How many times a line that failed in a way worth retrying is sent again (in a
    /// later batch): the provider's `max_retries`.
    fn retries(&self) -> u32;

    /// A line's refusing status (401-404) for a request to `model` as the refusal one
    /// call would have met, remembered so later calls fail at once; other errors as they
    /// are.
    fn refused(&self, model: &str, e: CallError) -> CallError;

    /// A provider's text, scrubbed of secrets and shortened, for a message.
    fn scrub(&self, text: &str) -> String;

    /// Submits `lines` as one batch; its id.
    fn submit<'a>(&'a self, lines: &'a [BatchLine]) -> BoxFuture<'a, Result<String, CallError>>;

    /// The state of batch `id`.
    fn status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<BatchStatus, CallError>>;

    /// The results of an ended batch, each answer with `latency` (the batch's wall time).
    fn results<'a>(
        &'a self,
        status: &'a BatchStatus,
        expected: usize,
        latency: Duration,
    ) -> BoxFuture<'a, Result<Lines, CallError>>;
}

/// The most bytes a results file of `expected` lines may have: each answer's cap, plus
/// room for each line's envelope.
pub(crate) fn results_limit(max_response_bytes: u64, expected: usize) -> u64 {
    max_response_bytes
        .saturating_add(64 * 1024)
        .saturating_mul(expected.max(1) as u64)
}

/// Reads each of `status.results` (paths under the base URL or URLs on its host) as JSONL
/// and turns every line with a `custom_id` into an answer with `answer(line, cap)`, `cap`
/// being one call's size limit: both providers' results, read the same way.
pub(crate) async fn read_results(
    endpoint: &super::http::Endpoint,
    status: &BatchStatus,
    expected: usize,
    answer: impl Fn(&serde_json::Value, u64) -> Result<Completion, CallError>,
) -> Result<Lines, CallError> {
    let cap = endpoint.max_response_bytes();
    let mut out = Lines::default();
    for url in &status.results {
        let bytes = endpoint
            .send(
                reqwest::Method::GET,
                url,
                None,
                results_limit(cap, expected),
            )
            .await?;
        for line in json_lines(&bytes, &mut out.unreadable) {
            let Some(id) = line.get("custom_id").and_then(serde_json::Value::as_str) else {
                out.unreadable.push("a line without a custom_id".into());
                continue;
            };
            out.answers.push((id.to_string(), answer(&line, cap)));
        }
    }
    Ok(out)
}

/// Splits a JSONL body into its non-empty lines, numbered from 1; a line that is not JSON
/// is reported in `unreadable`.
pub(crate) fn json_lines(bytes: &[u8], unreadable: &mut Vec<String>) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(v) if v.is_object() => out.push(v),
            Ok(_) => unreadable.push(format!("line {}: not a JSON object", i + 1)),
            Err(e) => unreadable.push(format!("line {}: not JSON ({e})", i + 1)),
        }
    }
    out
}

/// A request body as a batch line carries it (a JSON value inside the line).
pub(crate) fn line_body(body: impl serde::Serialize) -> Result<serde_json::Value, CallError> {
    serde_json::to_value(body)
        .map_err(|e| CallError::Config(format!("cannot encode the request: {e}")))
}

/// An answer's body as bytes for the one-call parser, refused when larger than one
/// call's answer may be.
pub(crate) fn answer_bytes(body: &serde_json::Value, limit: u64) -> Result<Vec<u8>, CallError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|e| CallError::Malformed(format!("cannot re-encode the answer: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(CallError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The error text of a provider error object (`{"message": …}` or a string).
pub(crate) fn error_text(v: Option<&serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v
            .get("message")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        None => "no error given".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_skip_blanks_and_report_garbage() {
        let mut bad = Vec::new();
        let lines = json_lines(b"{\"a\":1}\r\n\n  \nnot json\n[1]\n{\"b\":2}", &mut bad);
        assert_eq!(lines.len(), 2);
        assert_eq!(bad.len(), 2);
        assert!(bad[0].starts_with("line 4: not JSON"), "{bad:?}");
        assert_eq!(bad[1], "line 5: not a JSON object");
    }

    #[test]
    fn an_answer_over_the_cap_is_too_large() {
        let body = serde_json::json!({ "text": "x".repeat(100) });
        assert!(answer_bytes(&body, 1000).is_ok());
        assert_eq!(
            answer_bytes(&body, 50).unwrap_err(),
            CallError::TooLarge { limit: 50 }
        );
    }
}

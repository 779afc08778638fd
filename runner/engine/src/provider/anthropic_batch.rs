//! Anthropic's Message Batches: `POST <base_url>/messages/batches` with the requests,
//! `GET <base_url>/messages/batches/<id>` for its state, and its results (JSONL) from the
//! `results_url` it names, read only when that URL is on the base URL's host. Each
//! request's `params` is what [`super::anthropic::body`] sends and each answer goes
//! through [`super::anthropic::parse`].

use super::BoxFuture;
use super::anthropic::{self, Anthropic};
use super::batch::{
    self, BatchApi, BatchLine, BatchStatus, Counts, Ending, Lines, Phase, answer_bytes, error_text,
};
use super::openai_batch::safe_id;
use crate::call::{CallError, ChatRequest, Completion};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// Status bodies and ids are small; this bounds a hostile one.
const SMALL_BODY: u64 = 1024 * 1024;

impl BatchApi for Anthropic {
    fn provider(&self) -> &str {
        self.endpoint.provider()
    }

    fn api(&self) -> &'static str {
        "anthropic"
    }

    fn body(&self, request: &ChatRequest) -> Result<Value, CallError> {
        batch::line_body(anthropic::body(request)?)
    }

    fn retries(&self) -> u32 {
        self.endpoint.limits.retry.max_retries
    }

    fn refused(&self, model: &str, e: CallError) -> CallError {
        self.endpoint.refusal(model, e)
    }

    fn scrub(&self, text: &str) -> String {
        self.endpoint.scrub_text(text)
    }

    fn submit<'a>(&'a self, lines: &'a [BatchLine]) -> BoxFuture<'a, Result<String, CallError>> {
        Box::pin(async move {
            let requests: Vec<Value> = lines
                .iter()
                .map(|l| json!({ "custom_id": l.custom_id, "params": l.body }))
                .collect();
            let body = serde_json::to_vec(&json!({ "requests": requests }))
                .map_err(|e| CallError::Config(format!("cannot encode the batch: {e}")))?;
            let created = self
                .endpoint
                .send(
                    Method::POST,
                    "messages/batches",
                    Some(("application/json", body.into())),
                    SMALL_BODY,
                )
                .await?;
            let v: Value = serde_json::from_slice(&created)
                .map_err(|e| CallError::Malformed(format!("the new batch: not JSON ({e})")))?;
            v.get("id")
                .and_then(Value::as_str)
                .filter(|id| safe_id(id))
                .map(str::to_string)
                .ok_or_else(|| CallError::Malformed("the new batch: no usable `id`".into()))
        })
    }

    fn status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<BatchStatus, CallError>> {
        Box::pin(async move {
            let bytes = self
                .endpoint
                .send(
                    Method::GET,
                    &format!("messages/batches/{id}"),
                    None,
                    SMALL_BODY,
                )
                .await?;
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| CallError::Malformed(format!("batch status is not JSON ({e})")))?;
            let phase = match v.get("processing_status").and_then(Value::as_str) {
                Some("in_progress" | "canceling") => Phase::Running,
                // Anthropic ends every batch the same way; expired and canceled requests
                // are told per line.
                Some("ended") => Phase::Ended(Ending::Completed),
                Some(other) => {
                    return Err(CallError::Malformed(format!(
                        "unknown processing_status `{}`",
                        self.endpoint.scrub_text(other)
                    )));
                }
                None => {
                    return Err(CallError::Malformed(
                        "no `processing_status` in the batch status".into(),
                    ));
                }
            };
            let n = |k: &str| {
                v.pointer(&format!("/request_counts/{k}"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            };
            let failed = n("errored") + n("canceled") + n("expired");
            let done = n("succeeded") + failed;
            let results = match v.get("results_url").and_then(Value::as_str) {
                Some(url) => vec![url.to_string()],
                None if phase != Phase::Running => vec![format!("messages/batches/{id}/results")],
                None => Vec::new(),
            };
            Ok(BatchStatus {
                phase,
                counts: Counts {
                    total: done + n("processing"),
                    done,
                    failed,
                },
                results,
            })
        })
    }

    fn results<'a>(
        &'a self,
        status: &'a BatchStatus,
        expected: usize,
        latency: Duration,
    ) -> BoxFuture<'a, Result<Lines, CallError>> {
        Box::pin(batch::read_results(
            &self.endpoint,
            status,
            expected,
            move |line, cap| self.answer(line, cap, latency),
        ))
    }
}

impl Anthropic {
    /// One result line: `{custom_id, result: {type, message | error}}`.
    fn answer(&self, line: &Value, cap: u64, latency: Duration) -> Result<Completion, CallError> {
        let result = line.get("result").unwrap_or(&Value::Null);
        let answer = match result.get("type").and_then(Value::as_str) {
            Some("succeeded") => {
                let message = result.get("message").unwrap_or(&Value::Null);
                answer_bytes(message, cap).and_then(|b| anthropic::parse(&b))
            }
            Some("errored") => {
                let error = result.pointer("/error/error").or(result.get("error"));
                let kind = error
                    .and_then(|e| e.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Err(CallError::Status {
                    code: status_of(kind),
                    body: error_text(error),
                    retry_after: None,
                })
            }
            // Never run: worth another try in a later batch.
            Some(kind @ ("canceled" | "expired")) => Err(CallError::Status {
                code: 503,
                body: format!("the batch did not run this request ({kind})"),
                retry_after: None,
            }),
            Some(other) => Err(CallError::Malformed(format!(
                "unknown result type `{other}`"
            ))),
            None => Err(CallError::Malformed(
                "a result line without a `result.type`".into(),
            )),
        };
        answer
            .map(|parsed| self.endpoint.completion(parsed, latency))
            .map_err(|e| self.endpoint.scrub_error(e))
    }
}

/// The HTTP status one call would have met for an error type of the Messages API.
fn status_of(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_map_to_the_statuses_of_one_call() {
        assert_eq!(status_of("invalid_request_error"), 400);
        assert_eq!(status_of("not_found_error"), 404);
        assert_eq!(status_of("overloaded_error"), 529);
        assert_eq!(status_of("something new"), 500);
    }
}

//! OpenAI's Batch API for the `openai` dialect: the requests as a JSONL file
//! (`POST <base_url>/files`, multipart, `purpose=batch`), a batch over it (`POST
//! <base_url>/batches`, 24-hour window), its state (`GET <base_url>/batches/<id>`) and its
//! output and error files (`GET <base_url>/files/<id>/content`). Each line's body is what
//! [`super::openai::body`] sends and each answer goes through [`super::openai::parse`].

use super::BoxFuture;
use super::batch::{
    self, BatchApi, BatchLine, BatchStatus, Counts, Ending, Lines, Phase, answer_bytes, error_text,
};
use super::openai::{self, OpenAi};
use crate::call::{CallError, ChatRequest};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The endpoint every line is sent to, as the Batch API names it.
const LINE_URL: &str = "/v1/chat/completions";

/// Status bodies and ids are small; this bounds a hostile one.
const SMALL_BODY: u64 = 1024 * 1024;

impl BatchApi for OpenAi {
    fn provider(&self) -> &str {
        self.endpoint.provider()
    }

    fn api(&self) -> &'static str {
        "openai"
    }

    fn body(&self, request: &ChatRequest) -> Result<Value, CallError> {
        batch::line_body(openai::body(request, self.dialect)?)
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
            let mut file = Vec::new();
            for line in lines {
                let v = json!({
                    "custom_id": line.custom_id,
                    "method": "POST",
                    "url": LINE_URL,
                    "body": line.body,
                });
                serde_json::to_writer(&mut file, &v)
                    .map_err(|e| CallError::Config(format!("cannot encode a batch line: {e}")))?;
                file.push(b'\n');
            }
            let (content_type, form) = multipart(&file);
            let uploaded = self
                .endpoint
                .send(
                    Method::POST,
                    "files",
                    Some((&content_type, form.into())),
                    SMALL_BODY,
                )
                .await?;
            let file_id = id_of(&uploaded, "the uploaded file")?;
            let create = json!({
                "input_file_id": file_id,
                "endpoint": LINE_URL,
                "completion_window": "24h",
            });
            let created = self
                .endpoint
                .send(
                    Method::POST,
                    "batches",
                    Some(("application/json", create.to_string().into())),
                    SMALL_BODY,
                )
                .await?;
            id_of(&created, "the new batch")
        })
    }

    fn status<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<BatchStatus, CallError>> {
        Box::pin(async move {
            let bytes = self
                .endpoint
                .send(Method::GET, &format!("batches/{id}"), None, SMALL_BODY)
                .await?;
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| CallError::Malformed(format!("batch status is not JSON ({e})")))?;
            let status = v
                .get("status")
                .and_then(Value::as_str)
                .ok_or_else(|| CallError::Malformed("no `status` in the batch status".into()))?;
            let phase = match status {
                "validating" | "in_progress" | "finalizing" | "cancelling" => Phase::Running,
                "completed" => Phase::Ended(Ending::Completed),
                "expired" => Phase::Ended(Ending::Expired),
                "cancelled" => Phase::Ended(Ending::Cancelled),
                "failed" => {
                    let why = v
                        .pointer("/errors/data")
                        .and_then(Value::as_array)
                        .map(|errors| {
                            errors
                                .iter()
                                .map(|e| error_text(Some(e)))
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "no reason given".into());
                    Phase::Ended(Ending::Failed(self.endpoint.scrub_text(&why)))
                }
                other => {
                    return Err(CallError::Malformed(format!(
                        "unknown batch status `{}`",
                        self.endpoint.scrub_text(other)
                    )));
                }
            };
            let n = |k: &str| {
                v.pointer(&format!("/request_counts/{k}"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            };
            let failed = n("failed");
            let results = ["output_file_id", "error_file_id"]
                .iter()
                .filter_map(|k| v.get(*k).and_then(Value::as_str))
                .filter(|id| safe_id(id))
                .map(|id| format!("files/{id}/content"))
                .collect();
            Ok(BatchStatus {
                phase,
                counts: Counts {
                    total: n("total"),
                    done: n("completed") + failed,
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

impl OpenAi {
    /// One output or error line: `{custom_id, response: {status_code, body}, error}`.
    fn answer(
        &self,
        line: &Value,
        cap: u64,
        latency: Duration,
    ) -> Result<crate::call::Completion, CallError> {
        let response = line.get("response").filter(|r| !r.is_null());
        let result = match response {
            Some(r) => {
                let code = r
                    .get("status_code")
                    .and_then(Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .ok_or_else(|| {
                        CallError::Malformed("a batch line without a status_code".into())
                    });
                match code {
                    Ok(200) => {
                        let body = r.get("body").unwrap_or(&Value::Null);
                        answer_bytes(body, cap).and_then(|b| openai::parse(&b))
                    }
                    Ok(code) => Err(CallError::Status {
                        code,
                        body: error_text(r.pointer("/body/error")),
                        retry_after: None,
                    }),
                    Err(e) => Err(e),
                }
            }
            // A line the batch never ran (expired, cancelled) or could not: worth another
            // try in a later batch.
            None => Err(CallError::Status {
                code: 503,
                body: format!(
                    "the batch did not run this request: {}",
                    error_text(line.get("error"))
                ),
                retry_after: None,
            }),
        };
        result
            .map(|parsed| self.endpoint.completion(parsed, latency))
            .map_err(|e| self.endpoint.scrub_error(e))
    }
}

/// A multipart form with `purpose=batch` and `file` (the JSONL): its content type and
/// bytes. The boundary is drawn at random and never occurs in the file.
fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = loop {
        let b = format!(
            "fabula-{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        if !file.windows(b.len()).any(|w| w == b.as_bytes()) {
            break b;
        }
    };
    let mut body = Vec::with_capacity(file.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fabula-batch.jsonl\"\r\n\
             Content-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The `id` of a created object.
fn id_of(bytes: &[u8], what: &str) -> Result<String, CallError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CallError::Malformed(format!("{what}: not JSON ({e})")))?;
    v.get("id")
        .and_then(Value::as_str)
        .filter(|id| safe_id(id))
        .map(str::to_string)
        .ok_or_else(|| CallError::Malformed(format!("{what}: no usable `id`")))
}

/// Ids go into URL paths: letters, digits, `-` and `_` only.
pub(crate) fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_has_both_fields_and_a_fresh_boundary() {
        let (ct, body) = multipart(b"{\"a\":1}\n");
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"purpose\"\r\n\r\nbatch\r\n"));
        assert!(text.contains("filename=\"fabula-batch.jsonl\""));
        assert!(text.contains("\r\n\r\n{\"a\":1}\n\r\n"));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    }

    #[test]
    fn ids_that_could_leave_the_path_are_refused() {
        assert!(safe_id("batch_abc-123"));
        for bad in ["", "../x", "a/b", "a?b", "a b", &"x".repeat(201)] {
            assert!(!safe_id(bad), "{bad}");
        }
        assert!(id_of(br#"{"id":"../../etc"}"#, "x").is_err());
        assert_eq!(id_of(br#"{"id":"file-1"}"#, "x").unwrap(), "file-1");
    }
}

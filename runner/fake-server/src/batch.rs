//! Both providers' batch APIs, faked: OpenAI's (`POST /files` multipart, `POST
//! /batches`, `GET /batches/<id>`, `GET /files/<id>/content`) and Anthropic's Message
//! Batches (`POST /messages/batches`, `GET /messages/batches/<id>`, `GET
//! /messages/batches/<id>/results`). A [`Script`] says how batches behave: how many polls
//! before one ends, whether it completes or expires after some lines, which lines error,
//! failing polls, garbage and unknown lines in the results, a missing results file.
//! Every line is answered by a function of its request body, so a batch run and an
//! interactive run can be given the same answers. Counts submissions and polls.
//!
//! Use it inside a [`crate::FakeServer`] handler: `batches.handle(seen)` answers the batch
//! routes and returns `None` for anything else.

use crate::{Reply, Seen};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Which API a batch came in through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    OpenAi,
    Anthropic,
}

/// How the fake batches behave.
#[derive(Clone)]
pub struct Script {
    /// Status polls answered "in progress" before a batch ends.
    pub polls_before_end: usize,
    /// Lines whose request body makes this true expire unanswered (the batch then ends
    /// `expired`, with the other lines' results).
    pub expired: Arc<dyn Fn(&Value) -> bool + Send + Sync>,
    /// Lines whose request body makes this true are answered with an error (HTTP 400).
    pub errored: Arc<dyn Fn(&Value) -> bool + Send + Sync>,
    /// The first this many status polls (over all batches) answer HTTP 500.
    pub failing_polls: usize,
    /// Results carry a line that is not JSON and a line for a custom id never sent.
    pub garbage: bool,
    /// The results file answers 404.
    pub results_missing: bool,
    /// The first this many reads of a results file answer HTTP 500.
    pub failing_results: usize,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            polls_before_end: 1,
            expired: Arc::new(|_| false),
            errored: Arc::new(|_| false),
            failing_polls: 0,
            garbage: false,
            results_missing: false,
            failing_results: 0,
        }
    }
}

struct Batch {
    api: Api,
    lines: Vec<(String, Value)>,
    polls: usize,
    /// The status of the ended batch: its results are made once.
    ended: Option<String>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, String>,
    batches: HashMap<String, Batch>,
    submissions: usize,
    polls: usize,
    reads: usize,
    next: usize,
}

/// The fake batch APIs. Clones share their state.
#[derive(Clone)]
pub struct FakeBatches {
    script: Arc<Mutex<Script>>,
    answer: Arc<dyn Fn(&Value) -> Value + Send + Sync>,
    state: Arc<Mutex<State>>,
}

impl FakeBatches {
    /// Batches that behave as `script` says, answering each line's request body with
    /// `answer(body)` (a chat-completions body; Anthropic lines get it as a Messages body).
    pub fn new(script: Script, answer: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Self {
        FakeBatches {
            script: Arc::new(Mutex::new(script)),
            answer: Arc::new(answer),
            state: Arc::default(),
        }
    }

    /// Batches answered the way [`crate::model_reply`] answers one call.
    pub fn cooperative(script: Script) -> Self {
        FakeBatches::new(script, |body| {
            let reply = crate::model_reply(&body.to_string());
            match reply {
                Reply::Json { body, .. } => serde_json::from_str(&body).unwrap_or_default(),
                _ => Value::Null,
            }
        })
    }

    /// Changes the script (for batches polled from now on).
    pub fn set_script(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    /// Batches created (not counting uploads).
    pub fn submissions(&self) -> usize {
        self.state.lock().unwrap().submissions
    }

    /// Status polls answered (failing ones included).
    pub fn polls(&self) -> usize {
        self.state.lock().unwrap().polls
    }

    /// Requests in every batch created so far: (custom id, body).
    pub fn lines(&self) -> Vec<(String, Value)> {
        let s = self.state.lock().unwrap();
        let mut ids: Vec<&String> = s.batches.keys().collect();
        ids.sort();
        ids.iter()
            .flat_map(|id| s.batches[*id].lines.clone())
            .collect()
    }

    /// The reply to a batch route; `None` for any other request.
    pub fn handle(&self, seen: &Seen) -> Option<Reply> {
        let path = seen.path.strip_prefix("/v1").unwrap_or(&seen.path);
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let host = seen.header("host").unwrap_or("127.0.0.1").to_string();
        Some(match (seen.method.as_str(), parts.as_slice()) {
            ("POST", ["files"]) => self.upload(seen),
            ("POST", ["batches"]) => self.create_openai(seen),
            ("GET", ["batches", id]) => self.status(id, &host),
            ("GET", ["files", id, "content"]) => self.file(id),
            ("POST", ["messages", "batches"]) => self.create_anthropic(seen),
            ("GET", ["messages", "batches", id]) => self.status(id, &host),
            ("GET", ["messages", "batches", id, "results"]) => self.file(&format!("{id}-results")),
            _ => return None,
        })
    }

    fn upload(&self, seen: &Seen) -> Reply {
        let Some(boundary) = seen
            .header("content-type")
            .and_then(|ct| ct.split("boundary=").nth(1))
        else {
            return Reply::status(400, r#"{"error":{"message":"not multipart"}}"#);
        };
        let delimiter = format!("--{boundary}");
        let mut purpose = None;
        let mut file = None;
        for part in seen.body.split(&delimiter) {
            let Some((head, content)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let content = content.strip_suffix("\r\n").unwrap_or(content);
            if head.contains("name=\"purpose\"") {
                purpose = Some(content.to_string());
            } else if head.contains("name=\"file\"") {
                file = Some(content.to_string());
            }
        }
        match (purpose.as_deref(), file) {
            (Some("batch"), Some(content)) => {
                let mut s = self.state.lock().unwrap();
                s.next += 1;
                let id = format!("file-{}", s.next);
                s.files.insert(id.clone(), content);
                Reply::ok(json!({ "id": id, "object": "file", "purpose": "batch" }).to_string())
            }
            _ => Reply::status(
                400,
                r#"{"error":{"message":"need purpose=batch and a file"}}"#,
            ),
        }
    }

    fn create_openai(&self, seen: &Seen) -> Reply {
        let v: Value = serde_json::from_str(&seen.body).unwrap_or_default();
        if v["endpoint"] != "/v1/chat/completions" || v["completion_window"] != "24h" {
            return Reply::status(400, r#"{"error":{"message":"bad endpoint or window"}}"#);
        }
        let mut s = self.state.lock().unwrap();
        let Some(content) = v["input_file_id"].as_str().and_then(|f| s.files.get(f)) else {
            return Reply::status(400, r#"{"error":{"message":"no such input file"}}"#);
        };
        let mut lines = Vec::new();
        for line in content.lines() {
            let Ok(l) = serde_json::from_str::<Value>(line) else {
                return Reply::status(400, r#"{"error":{"message":"a line is not JSON"}}"#);
            };
            if l["method"] != "POST" || l["url"] != "/v1/chat/completions" {
                return Reply::status(400, r#"{"error":{"message":"bad method or url"}}"#);
            }
            let Some(id) = l["custom_id"].as_str() else {
                return Reply::status(400, r#"{"error":{"message":"no custom_id"}}"#);
            };
            lines.push((id.to_string(), l["body"].clone()));
        }
        let id = new_batch(&mut s, Api::OpenAi, lines);
        Reply::ok(json!({ "id": id, "object": "batch", "status": "validating" }).to_string())
    }

    fn create_anthropic(&self, seen: &Seen) -> Reply {
        let v: Value = serde_json::from_str(&seen.body).unwrap_or_default();
        let Some(requests) = v["requests"].as_array() else {
            return Reply::status(
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"no requests"}}"#,
            );
        };
        let mut lines = Vec::new();
        for r in requests {
            let Some(id) = r["custom_id"].as_str() else {
                return Reply::status(
                    400,
                    r#"{"type":"error","error":{"type":"invalid_request_error","message":"no custom_id"}}"#,
                );
            };
            lines.push((id.to_string(), r["params"].clone()));
        }
        let mut s = self.state.lock().unwrap();
        let id = new_batch(&mut s, Api::Anthropic, lines);
        Reply::ok(
            json!({ "id": id, "type": "message_batch", "processing_status": "in_progress" })
                .to_string(),
        )
    }

    fn status(&self, id: &str, host: &str) -> Reply {
        let script = self.script.lock().unwrap().clone();
        let mut s = self.state.lock().unwrap();
        s.polls += 1;
        if s.polls <= script.failing_polls {
            return Reply::status(500, r#"{"error":{"message":"poll failed"}}"#);
        }
        let Some(batch) = s.batches.get_mut(id) else {
            return Reply::status(404, r#"{"error":{"message":"no such batch"}}"#);
        };
        batch.polls += 1;
        let total = batch.lines.len();
        let api = batch.api;
        let running = batch.polls <= script.polls_before_end;
        if running {
            return Reply::ok(match api {
                Api::OpenAi => json!({
                    "id": id, "object": "batch", "status": "in_progress",
                    "output_file_id": null, "error_file_id": null,
                    "request_counts": { "total": total, "completed": 0, "failed": 0 },
                }),
                Api::Anthropic => json!({
                    "id": id, "type": "message_batch", "processing_status": "in_progress",
                    "results_url": null,
                    "request_counts": { "processing": total, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0 },
                }),
            }
            .to_string());
        }
        if let Some(ended) = &batch.ended {
            return Reply::ok(ended.clone());
        }
        let lines = batch.lines.clone();
        let mut output = String::new();
        let mut errors = String::new();
        let (mut ok, mut errored, mut expired) = (0, 0, 0);
        for (i, (cid, body)) in lines.iter().enumerate() {
            let line = if (script.expired)(body) {
                expired += 1;
                match api {
                    Api::OpenAi => {
                        json!({ "id": format!("req-{i}"), "custom_id": cid, "response": null,
                        "error": { "code": "batch_expired", "message": "This request could not be executed before the completion window expired." } })
                    }
                    Api::Anthropic => json!({ "custom_id": cid, "result": { "type": "expired" } }),
                }
            } else if (script.errored)(body) {
                errored += 1;
                match api {
                    Api::OpenAi => json!({ "id": format!("req-{i}"), "custom_id": cid,
                        "response": { "status_code": 400, "request_id": "x", "body": { "error": { "message": "the fake refused this request", "type": "invalid_request_error" } } },
                        "error": null }),
                    Api::Anthropic => json!({ "custom_id": cid, "result": { "type": "errored",
                        "error": { "type": "error", "error": { "type": "invalid_request_error", "message": "the fake refused this request" } } } }),
                }
            } else {
                ok += 1;
                let answer = (self.answer)(body);
                match api {
                    Api::OpenAi => json!({ "id": format!("req-{i}"), "custom_id": cid,
                        "response": { "status_code": 200, "request_id": "x", "body": answer }, "error": null }),
                    Api::Anthropic => {
                        json!({ "custom_id": cid, "result": { "type": "succeeded", "message": as_message(&answer) } })
                    }
                }
            };
            let to = if api == Api::OpenAi && line["response"]["status_code"] != 200 {
                &mut errors
            } else {
                &mut output
            };
            to.push_str(&line.to_string());
            to.push('\n');
        }
        if script.garbage {
            output.push_str("this line is not JSON\n");
            output.push_str(
                &json!({ "custom_id": "never-sent", "response": { "status_code": 200, "body": {} } })
                    .to_string(),
            );
            output.push('\n');
        }
        let status = if expired > 0 { "expired" } else { "completed" };
        let reply = match api {
            Api::OpenAi => {
                let out_id = format!("{id}-output");
                let err_id = format!("{id}-errors");
                if !script.results_missing {
                    s.files.insert(out_id.clone(), output);
                    s.files.insert(err_id.clone(), errors);
                }
                json!({
                    "id": id, "object": "batch", "status": status,
                    "output_file_id": out_id, "error_file_id": err_id,
                    "request_counts": { "total": total, "completed": ok, "failed": errored + expired },
                })
            }
            Api::Anthropic => {
                if !script.results_missing {
                    s.files.insert(format!("{id}-results"), output);
                }
                json!({
                    "id": id, "type": "message_batch", "processing_status": "ended",
                    "results_url": format!("http://{host}/v1/messages/batches/{id}/results"),
                    "request_counts": { "processing": 0, "succeeded": ok, "errored": errored, "canceled": 0, "expired": expired },
                })
            }
        };
        let reply = reply.to_string();
        if let Some(batch) = s.batches.get_mut(id) {
            batch.ended = Some(reply.clone());
        }
        Reply::ok(reply)
    }

    fn file(&self, id: &str) -> Reply {
        let failing = self.script.lock().unwrap().failing_results;
        let mut s = self.state.lock().unwrap();
        if id.ends_with("-output") || id.ends_with("-errors") || id.ends_with("-results") {
            s.reads += 1;
            if s.reads <= failing {
                return Reply::status(500, r#"{"error":{"message":"results unavailable"}}"#);
            }
        }
        match s.files.get(id) {
            Some(content) => Reply::ok(content.clone()),
            None => Reply::status(404, r#"{"error":{"message":"no such file"}}"#),
        }
    }
}

fn new_batch(s: &mut State, api: Api, lines: Vec<(String, Value)>) -> String {
    s.next += 1;
    s.submissions += 1;
    let id = match api {
        Api::OpenAi => format!("batch_{}", s.next),
        Api::Anthropic => format!("msgbatch_{}", s.next),
    };
    s.batches.insert(
        id.clone(),
        Batch {
            api,
            lines,
            polls: 0,
            ended: None,
        },
    );
    id
}

/// A chat-completions answer as a Messages API answer with the same text and tokens.
pub(crate) fn as_message(chat: &Value) -> Value {
    let text = chat["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or("");
    let stop = match chat["choices"][0]["finish_reason"].as_str() {
        Some("length") => "max_tokens",
        _ => "end_turn",
    };
    json!({
        "id": "msg_1", "type": "message", "role": "assistant",
        "content": [{ "type": "text", "text": text }],
        "stop_reason": stop,
        "usage": {
            "input_tokens": chat["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            "output_tokens": chat["usage"]["completion_tokens"].as_u64().unwrap_or(0),
        }
    })
}

//! Anthropic's Messages API (`POST <base_url>/messages`).

use super::{BoxFuture, Endpoint, Messages, Parsed, Provider};
use crate::call::{CallError, ChatRequest, Completion, MessageRole, ReasoningRequest};
use fabula_core::model::{FinishReason, Usage};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct Anthropic {
    pub(super) endpoint: Endpoint,
    /// `<base_url>/messages`, parsed once.
    url: reqwest::Url,
}

impl Anthropic {
    pub fn new(endpoint: Endpoint) -> Result<Anthropic, CallError> {
        let url = endpoint.url("messages")?;
        Ok(Anthropic { endpoint, url })
    }
}

impl Provider for Anthropic {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, CallError>> {
        Box::pin(async move {
            let body = body(request)?;
            self.endpoint
                .post(&self.url, &request.model, &body, parse)
                .await
        })
    }

    fn limits(&self) -> Option<&crate::limits::Limits> {
        Some(&self.endpoint.limits)
    }

    /// Message Batches.
    fn batch(&self) -> Option<&dyn super::BatchApi> {
        Some(self)
    }
}

/// Anthropic's smallest thinking budget.
const MIN_THINKING: u32 = 1024;

/// The request body. What the Messages API cannot take is left out or adjusted as
/// `rules::review_model` warns: `verbosity` is not sent, a temperature is clamped to 1
/// and not sent while thinking is on, an effort level becomes a thinking budget.
pub(crate) fn body(request: &ChatRequest) -> Result<Body<'_>, CallError> {
    let thinking = match &request.reasoning {
        Some(ReasoningRequest::Tokens(n)) => Some(*n),
        // The Messages API takes a budget, not an effort: map the levels.
        Some(ReasoningRequest::Effort(e)) => match e.as_str() {
            "minimal" | "none" => None,
            "low" => Some(MIN_THINKING),
            "medium" => Some(request.max_tokens / 2),
            _ => Some(request.max_tokens * 3 / 4),
        },
        None => None,
    }
    .map(|budget| budget.max(MIN_THINKING));
    if let Some(budget) = thinking
        && budget >= request.max_tokens
    {
        return Err(CallError::Config(format!(
            "thinking budget {budget} leaves no room for the answer in max_tokens {}",
            request.max_tokens
        )));
    }
    Ok(Body { request, thinking })
}

/// A checked request as the JSON body [`body`] describes: written straight from the
/// request (no JSON tree is built or the prompt copied).
pub(crate) struct Body<'a> {
    request: &'a ChatRequest,
    /// The thinking budget, when thinking is on.
    thinking: Option<u32>,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.request;
        let mut body = serializer.serialize_map(None)?;
        body.serialize_entry("model", &r.model)?;
        body.serialize_entry("max_tokens", &r.max_tokens)?;
        let messages = Messages {
            messages: &r.messages,
            keep: |m| m.role != MessageRole::System,
        };
        body.serialize_entry("messages", &messages)?;
        let system: Vec<&str> = r
            .messages
            .iter()
            .filter(|m| m.role == MessageRole::System)
            .map(|m| m.content.as_str())
            .collect();
        match system.as_slice() {
            [] => {}
            [one] => body.serialize_entry("system", one)?,
            many => body.serialize_entry("system", &many.join("\n\n"))?,
        }
        match (self.thinking, r.temperature) {
            // Extended thinking requires the default temperature.
            (Some(budget), _) => body.serialize_entry(
                "thinking",
                &json!({ "type": "enabled", "budget_tokens": budget }),
            )?,
            (None, Some(t)) => body.serialize_entry("temperature", &t.clamp(0.0, 1.0))?,
            (None, None) => {}
        }
        body.end()
    }
}

/// Parses a Messages API response body. Anything but the expected shape is
/// [`CallError::Malformed`]; an error object in a 200 is a 529 (overloaded) status.
/// Texts are the provider's whole words: the provider boundary scrubs and shortens them.
pub fn parse(bytes: &[u8]) -> Result<Parsed, CallError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CallError::Malformed(format!("not JSON ({e})")))?;
    if v.get("type").and_then(Value::as_str) == Some("error") {
        let msg = v
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return Err(CallError::Status {
            code: 529,
            body: msg.to_string(),
            retry_after: None,
        });
    }
    let content = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| CallError::Malformed("no `content` list in the response".into()))?;
    let text: String = content
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("");
    let finish = match v.get("stop_reason").and_then(Value::as_str) {
        Some("end_turn") | Some("stop_sequence") => FinishReason::Stop,
        Some("max_tokens") => FinishReason::Length,
        Some("refusal") => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    let n = |k: &str| {
        v.pointer(&format!("/usage/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let usage = Usage {
        prompt_tokens: n("input_tokens"),
        completion_tokens: n("output_tokens"),
        reasoning_tokens: 0,
    };
    Ok(Parsed {
        text,
        finish,
        usage,
        cost: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Message;

    fn request(reasoning: Option<ReasoningRequest>, max_tokens: u32) -> ChatRequest {
        ChatRequest {
            model: "claude-sonnet-4-5".into(),
            messages: vec![
                Message::system("You write."),
                Message::user("Go."),
                Message::assistant("Went."),
                Message::user("Again."),
            ],
            max_tokens,
            temperature: Some(0.7),
            reasoning,
            verbosity: None,
            json: false,
            response_schema: None,
        }
    }

    fn body(r: &ChatRequest) -> Result<Value, CallError> {
        super::body(r).map(|b| serde_json::to_value(b).unwrap())
    }

    #[test]
    fn system_is_separate_and_thinking_drops_temperature() {
        let b = body(&request(None, 4000)).unwrap();
        assert_eq!(b["system"], "You write.");
        assert_eq!(b["messages"].as_array().unwrap().len(), 3);
        assert_eq!(b["temperature"], 0.7);
        let b = body(&request(Some(ReasoningRequest::Tokens(2048)), 8000)).unwrap();
        assert_eq!(b["thinking"]["budget_tokens"], 2048);
        assert!(b.get("temperature").is_none());
        let mut two = request(None, 4000);
        two.messages.insert(1, Message::system("Be brief."));
        let b = body(&two).unwrap();
        assert_eq!(b["system"], "You write.\n\nBe brief.");
        assert_eq!(b["messages"][0]["content"], "Go.");
        let mut none = request(None, 4000);
        none.messages.remove(0);
        assert!(body(&none).unwrap().get("system").is_none());
    }

    #[test]
    fn thinking_must_leave_room() {
        let e = body(&request(Some(ReasoningRequest::Tokens(4000)), 4000)).unwrap_err();
        assert!(e.to_string().contains("no room"), "{e}");
    }

    #[test]
    fn parses_text_blocks_and_stop_reasons() {
        let Parsed {
            text: t,
            finish: f,
            usage: u,
            ..
        } = parse(
            br#"{"content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"Hello"}],
                "stop_reason":"max_tokens","usage":{"input_tokens":9,"output_tokens":20}}"#,
        )
        .unwrap();
        assert_eq!(t, "Hello");
        assert_eq!(f, FinishReason::Length);
        assert_eq!(u.completion_tokens, 20);
        let p = parse(br#"{"content":[],"stop_reason":"refusal"}"#).unwrap();
        assert_eq!(p.finish, FinishReason::ContentFilter);
        assert!(matches!(
            parse(b"{\"content\":"),
            Err(CallError::Malformed(_))
        ));
    }
}

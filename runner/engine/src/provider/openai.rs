//! OpenAI-compatible chat completions (`POST <base_url>/chat/completions`): OpenRouter by
//! default, and OpenAI, DeepInfra, Groq, Together, vLLM, Ollama, llama.cpp, LM Studio.

use super::rules::{self, Wire};
use super::{BoxFuture, Endpoint, Messages, Parsed, Provider};
use crate::call::{CallError, ChatRequest, Completion, ReasoningRequest};
use fabula_core::model::{Dialect, FinishReason, Usage};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct OpenAi {
    pub(super) endpoint: Endpoint,
    pub(super) dialect: Dialect,
    /// `<base_url>/chat/completions`, parsed once.
    url: reqwest::Url,
}

impl OpenAi {
    pub fn new(endpoint: Endpoint, dialect: Dialect) -> Result<OpenAi, CallError> {
        let url = endpoint.url("chat/completions")?;
        Ok(OpenAi {
            endpoint,
            dialect,
            url,
        })
    }
}

impl Provider for OpenAi {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, CallError>> {
        Box::pin(async move {
            let body = body(request, self.dialect)?;
            self.endpoint
                .post(&self.url, &request.model, &body, parse)
                .await
        })
    }

    fn limits(&self) -> Option<&crate::limits::Limits> {
        Some(&self.endpoint.limits)
    }

    /// OpenAI's Batch API, for the `openai` dialect only (OpenRouter has none).
    fn batch(&self) -> Option<&dyn super::BatchApi> {
        (self.dialect == Dialect::Openai).then_some(self as &dyn super::BatchApi)
    }
}

/// The request body for `request` in `dialect`. A setting the dialect cannot carry, or
/// the model rejects, is an error, never dropped ([`rules`]).
pub(crate) fn body(request: &ChatRequest, dialect: Dialect) -> Result<Body<'_>, CallError> {
    let rule = rules::rule(Wire::Chat(dialect), &request.model);
    if let Some(t) = request.temperature
        && !rule.temperature
        && t != 1.0
    {
        return Err(CallError::Config(rules::temperature_rejected(
            &request.model,
            t,
        )));
    }
    if dialect == Dialect::Openai && matches!(request.reasoning, Some(ReasoningRequest::Tokens(_)))
    {
        return Err(CallError::Config(rules::reasoning_budget_unsendable()));
    }
    Ok(Body {
        request,
        dialect,
        max_tokens_field: rule.max_tokens_field,
    })
}

/// A checked request as the JSON body [`body`] describes: written straight from the
/// request (no JSON tree is built or the prompt copied), with only the fields set.
pub(crate) struct Body<'a> {
    request: &'a ChatRequest,
    dialect: Dialect,
    max_tokens_field: &'static str,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.request;
        let mut body = serializer.serialize_map(None)?;
        body.serialize_entry("model", &r.model)?;
        let messages = Messages {
            messages: &r.messages,
            keep: |_| true,
        };
        body.serialize_entry("messages", &messages)?;
        body.serialize_entry(self.max_tokens_field, &r.max_tokens)?;
        if let Some(t) = r.temperature {
            body.serialize_entry("temperature", &t)?;
        }
        if let Some(v) = &r.verbosity {
            body.serialize_entry("verbosity", v)?;
        }
        if r.json {
            body.serialize_entry("response_format", &json!({ "type": "json_object" }))?;
        }
        match (self.dialect, &r.reasoning) {
            (Dialect::Openrouter, Some(ReasoningRequest::Effort(e))) => {
                body.serialize_entry("reasoning", &json!({ "effort": e }))?;
            }
            (Dialect::Openrouter, Some(ReasoningRequest::Tokens(n))) => {
                body.serialize_entry("reasoning", &json!({ "max_tokens": n }))?;
            }
            (Dialect::Openai, Some(ReasoningRequest::Effort(e))) => {
                body.serialize_entry("reasoning_effort", e)?;
            }
            // Refused by `body`.
            (Dialect::Openai, Some(ReasoningRequest::Tokens(_))) | (_, None) => {}
        }
        if self.dialect == Dialect::Openrouter {
            // Ask OpenRouter to report the cost of the call in `usage.cost`.
            body.serialize_entry("usage", &json!({ "include": true }))?;
        }
        body.end()
    }
}

/// Parses a chat-completions response body. Anything but the expected shape is
/// [`CallError::Malformed`]; an error object inside a 200 (OpenRouter's way for some
/// upstream failures) is [`CallError::Status`] with its code. Texts are the provider's
/// whole words: the provider boundary scrubs and shortens them.
pub fn parse(bytes: &[u8]) -> Result<Parsed, CallError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| CallError::Malformed(format!("not JSON ({e})")))?;
    if let Some(err) = v.get("error") {
        // OpenRouter reports some upstream failures inside a 200.
        let msg = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        let code = err
            .get("code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (400..=599).contains(c))
            .unwrap_or(502);
        return Err(CallError::Status {
            code,
            body: msg.to_string(),
            retry_after: None,
        });
    }
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| CallError::Malformed("no `choices[0]` in the response".into()))?;
    let message = choice
        .get("message")
        .ok_or_else(|| CallError::Malformed("no `choices[0].message` in the response".into()))?;
    let text = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        Some(other) => {
            return Err(CallError::Malformed(format!(
                "`message.content` is {}, not text",
                kind(other)
            )));
        }
    };
    let finish = match choice.get("finish_reason").and_then(Value::as_str) {
        Some("stop") | Some("end_turn") => FinishReason::Stop,
        Some("length") | Some("max_tokens") => FinishReason::Length,
        Some("content_filter") => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    let u = v.get("usage");
    let num = |path: &[&str]| -> u64 {
        let mut cur = u;
        for p in path {
            cur = cur.and_then(|c| c.get(*p));
        }
        cur.and_then(Value::as_u64).unwrap_or(0)
    };
    let usage = Usage {
        prompt_tokens: num(&["prompt_tokens"]),
        completion_tokens: num(&["completion_tokens"]),
        reasoning_tokens: num(&["completion_tokens_details", "reasoning_tokens"]),
    };
    let cost = u
        .and_then(|u| u.get("cost"))
        .and_then(Value::as_f64)
        .filter(|c| c.is_finite() && *c >= 0.0);
    Ok(Parsed {
        text,
        finish,
        usage,
        cost,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Message;

    fn request(reasoning: Option<ReasoningRequest>) -> ChatRequest {
        ChatRequest {
            model: "openai/gpt-5".into(),
            messages: vec![Message::system("be brief"), Message::user("hi")],
            max_tokens: 6000,
            temperature: Some(0.7),
            reasoning,
            verbosity: Some("low".into()),
            json: false,
            response_schema: None,
        }
    }

    fn body(r: &ChatRequest, dialect: Dialect) -> Result<Value, CallError> {
        super::body(r, dialect).map(|b| serde_json::to_value(b).unwrap())
    }

    #[test]
    fn openrouter_body_carries_reasoning_and_usage() {
        let b = body(
            &request(Some(ReasoningRequest::Tokens(2048))),
            Dialect::Openrouter,
        )
        .unwrap();
        assert_eq!(b["reasoning"], json!({ "max_tokens": 2048 }));
        assert_eq!(b["usage"], json!({ "include": true }));
        assert_eq!(b["verbosity"], "low");
        assert_eq!(b["messages"][0]["role"], "system");
        let b = body(
            &request(Some(ReasoningRequest::Effort("high".into()))),
            Dialect::Openrouter,
        )
        .unwrap();
        assert_eq!(b["reasoning"], json!({ "effort": "high" }));
    }

    #[test]
    fn openai_body_uses_standard_fields() {
        let mut r = request(Some(ReasoningRequest::Effort("low".into())));
        r.model = "vendor/model".into();
        let b = body(&r, Dialect::Openai).unwrap();
        assert_eq!(b["reasoning_effort"], "low");
        assert!(b.get("reasoning").is_none());
        assert!(b.get("usage").is_none());
    }

    #[test]
    fn parses_reasoning_tokens_and_cost() {
        let p = parse(
            br#"{"choices":[{"message":{"content":"Once."},"finish_reason":"stop"}],
                "usage":{"prompt_tokens":10,"completion_tokens":50,
                "completion_tokens_details":{"reasoning_tokens":40},"cost":0.0012}}"#,
        )
        .unwrap();
        assert_eq!(p.text, "Once.");
        assert_eq!(p.finish, FinishReason::Stop);
        assert_eq!(p.usage.reasoning_tokens, 40);
        assert_eq!(p.cost, Some(0.0012));
    }

    #[test]
    fn odd_shapes_are_malformed_not_panics() {
        for body in [
            &b""[..],
            b"{",
            b"[]",
            b"{\"choices\":[]}",
            b"{\"choices\":[{}]}",
            b"{\"choices\":[{\"message\":{\"content\":5}}]}",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(parse(body), Err(CallError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(
            parse(br#"{"error":{"message":"upstream died","code":502}}"#),
            Err(CallError::Status { code: 502, .. })
        ));
    }
}

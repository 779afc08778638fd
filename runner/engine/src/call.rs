//! One model call: what is asked ([`ChatRequest`]), what comes back ([`Completion`]), and
//! how it can fail ([`CallError`]). Providers translate between these and their wire
//! formats; everything above them speaks only these types.

use fabula_core::model::{FinishReason, Usage};
use std::fmt;
use std::time::Duration;

/// A chat message. System text goes first; the rest alternate user / assistant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub role: MessageRole,
    pub content: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::System => "system",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        }
    }
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message {
            role: MessageRole::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Message {
        Message {
            role: MessageRole::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Message {
        Message {
            role: MessageRole::Assistant,
            content: content.into(),
        }
    }
}

/// How much the model may think before answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReasoningRequest {
    /// An effort level (`minimal`, `low`, `medium`, `high`), passed through.
    Effort(String),
    /// A token budget for reasoning; always less than the request's `max_tokens`.
    Tokens(u32),
}

/// A provider-neutral request. [`crate::model::ModelHandle`] fills the parameters from
/// the model config and the task's token budget.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: Option<f64>,
    pub reasoning: Option<ReasoningRequest>,
    pub verbosity: Option<String>,
    /// Ask for a JSON object answer where the provider supports it (judges, oracle).
    pub json: bool,
    /// The JSON Schema a valid answer follows (judges), for providers that can
    /// constrain an answer to one and for the offline simulator.
    pub response_schema: Option<serde_json::Value>,
}

/// A successful call, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub text: String,
    pub finish: FinishReason,
    pub usage: Usage,
    /// Provider-reported cost in USD, where the provider reports it.
    pub cost_usd: Option<f64>,
    pub latency: Duration,
    /// How many attempts it took (1 = no retry).
    pub attempts: u32,
}

/// Why a call failed. Messages never contain API keys: no error is built from request
/// headers, and URLs carry no secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// No key for a provider that needs one (reported before any work starts).
    MissingKey { provider: String, env: String },
    /// A request that could never succeed as configured (e.g. no room for the answer).
    Config(String),
    /// The provider answered with an HTTP error status.
    Status {
        code: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    /// No answer within the per-request timeout.
    Timeout(Duration),
    /// Could not connect, or the connection broke.
    Connection(String),
    /// The body was not the JSON we expected: malformed, truncated, or missing fields.
    Malformed(String),
    /// The provider's circuit breaker is open after repeated failures.
    CircuitOpen { retry_in: Duration },
    /// Gave up after retrying; holds the last error.
    Exhausted { attempts: u32, last: Box<CallError> },
}

impl CallError {
    /// Whether another attempt may succeed: 429, 5xx, timeouts, connection errors,
    /// malformed bodies and an open circuit. Other 4xx are the request's fault.
    pub fn retryable(&self) -> bool {
        match self {
            CallError::Status { code, .. } => *code == 429 || *code == 408 || *code >= 500,
            CallError::Timeout(_)
            | CallError::Connection(_)
            | CallError::Malformed(_)
            | CallError::CircuitOpen { .. } => true,
            CallError::MissingKey { .. } | CallError::Config(_) | CallError::Exhausted { .. } => {
                false
            }
        }
    }

    /// Whether the failure says something about the endpoint's health (for the breaker).
    pub fn is_endpoint_failure(&self) -> bool {
        match self {
            CallError::Status { code, .. } => *code >= 500,
            CallError::Timeout(_) | CallError::Connection(_) => true,
            _ => false,
        }
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Status { retry_after, .. } => *retry_after,
            CallError::CircuitOpen { retry_in } => Some(*retry_in),
            _ => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::MissingKey { provider, env } => write!(
                f,
                "provider `{provider}` needs an API key: set {env} in the environment or in .env"
            ),
            CallError::Config(m) => write!(f, "{m}"),
            CallError::Status { code, body, .. } => {
                write!(f, "HTTP {code}")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            CallError::Timeout(d) => write!(f, "no answer within {}s", d.as_secs_f64()),
            CallError::Connection(m) => write!(f, "connection failed: {m}"),
            CallError::Malformed(m) => write!(f, "malformed response: {m}"),
            CallError::CircuitOpen { retry_in } => write!(
                f,
                "circuit open after repeated failures; next try in {:.1}s",
                retry_in.as_secs_f64()
            ),
            CallError::Exhausted { attempts, last } => {
                write!(f, "gave up after {attempts} attempts: {last}")
            }
        }
    }
}

impl std::error::Error for CallError {}

/// A short, single-line excerpt of a response body for error messages.
pub(crate) fn excerpt(body: &str) -> String {
    const MAX: usize = 300;
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() <= MAX {
        flat.to_string()
    } else {
        let cut: String = flat.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Whether `e` means the run cannot go on as configured (a missing key): such a call is
/// not a result, and no record is kept of it.
pub fn refuses_run(e: &CallError) -> bool {
    matches!(e, CallError::MissingKey { .. })
}

/// The failure kind of a call that failed after the provider layer's retries.
pub fn failure_kind(e: &CallError) -> fabula_core::model::FailureKind {
    use fabula_core::model::FailureKind;
    match e {
        CallError::Config(_) | CallError::MissingKey { .. } => FailureKind::Config,
        CallError::Exhausted { last, .. } => failure_kind(last),
        _ => FailureKind::Provider,
    }
}

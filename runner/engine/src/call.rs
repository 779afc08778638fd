//! One model call: what is asked ([`ChatRequest`]), what comes back ([`Completion`]), and
//! how it can fail ([`CallError`]). Providers translate between these and their wire
//! formats; everything above them speaks only these types.

use crate::budget::Usd;
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
    /// The JSON Schema a valid answer follows (judges), set only for a provider that
    /// reads one ([`crate::provider::Provider::reads_answer_schema`]: the offline
    /// simulator).
    pub response_schema: Option<serde_json::Value>,
}

/// Tokens a message costs beyond its text: role markers and separators (OpenAI's chat
/// format uses 3–4, Anthropic's fewer); 8 is a bound, not an estimate.
pub const TOKENS_PER_MESSAGE: u64 = 8;

impl ChatRequest {
    /// An upper bound on the input tokens of this request: one per byte of text, plus
    /// [`TOKENS_PER_MESSAGE`] each (what the budget reserves).
    pub fn input_tokens_bound(&self) -> u64 {
        self.messages
            .iter()
            .map(|m| m.content.len() as u64 + TOKENS_PER_MESSAGE)
            .sum()
    }
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
    /// The provider batch it was answered in, when it went in one.
    pub batch: Option<String>,
}

/// Why a call failed. Messages never contain API keys: no error is built from request
/// headers, URLs carry no secrets, and every text that comes from a provider passes
/// [`crate::secret::Secrets::scrub_error`] before anyone sees it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No key for a provider that needs one (reported before any work starts).
    #[error("provider `{provider}` needs an API key: set {env} in the environment or in .env")]
    MissingKey { provider: String, env: String },
    /// A request that could never succeed as configured (e.g. no room for the answer).
    #[error("{0}")]
    Config(String),
    /// The provider answered with an HTTP error status.
    #[error("HTTP {code}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        code: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    /// The provider refused the key, the account, the permission or the model (HTTP 401,
    /// 402, 403, 404). Nothing more is sent for what was refused: the whole provider, or
    /// with `model` set (a 404) only that model id. The caller should stop that work and
    /// not record it as a failed item: retrying cannot help until the user fixes it.
    #[error("{0}")]
    Refused(Box<Refusal>),
    /// The answer was larger than the provider's `max_response_bytes`; the rest of it was
    /// not read. A failed generation, not worth judging or retrying.
    #[error(
        "the response is larger than the provider's limit of {limit} bytes (max_response_bytes); the rest was not read"
    )]
    TooLarge { limit: u64 },
    /// The run's budget cannot cover this call's worst-case cost (see
    /// [`crate::budget::Budget`]). Nothing was sent.
    #[error("over budget: this call could cost up to {needed} and {left} of the budget is left")]
    OverBudget { needed: Usd, left: Usd },
    /// No answer within the per-request timeout.
    #[error("no answer within {}s", .0.as_secs_f64())]
    Timeout(Duration),
    /// Could not connect, or the connection broke.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The body was not the JSON we expected: malformed, truncated, or missing fields.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The provider's circuit breaker is open after repeated failures.
    #[error("circuit open after repeated failures; next try in {:.1}s", retry_in.as_secs_f64())]
    CircuitOpen { retry_in: Duration },
    /// Gave up after retrying; holds the last error.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted { attempts: u32, last: Box<CallError> },
    /// A request of `fabula run --batch` left for a later run: the run stopped before its
    /// batch was sent, or stopped waiting for a batch that is still running at the
    /// provider (its id is kept under `results/.batches/`, so the next run polls it
    /// instead of sending it again). Not a result: nothing is recorded. `sent`: the
    /// request went out (the provider may bill it; the budget charges its worst case).
    #[error("{why}")]
    Deferred { why: String, sent: bool },
}

/// What a provider refused, and what the user should check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The provider's name in `fabula.yaml`.
    pub provider: String,
    /// The model id, when only that model is refused (HTTP 404).
    pub model: Option<String>,
    /// The HTTP status (also when a provider put it in the body of a 200).
    pub status: u16,
    /// The environment variable (or `.env` entry) the key came from, if any.
    pub key_env: Option<String>,
    /// The provider's own words, scrubbed and shortened.
    pub detail: String,
}

impl Refusal {
    /// Whether a status means "stop asking": the key (401), the account (402), the
    /// permission (403) or the model (404). Everything else is one request's problem.
    pub fn is_refusal(status: u16) -> bool {
        (401..=404).contains(&status)
    }

    /// What the user should check, in a sentence fragment.
    pub fn check(&self) -> String {
        let key = match &self.key_env {
            Some(var) => format!("the key in {var} (environment or .env)"),
            None => "the provider's credentials (no api_key_env is set)".to_string(),
        };
        match self.status {
            401 => format!("check that {key} is current and belongs to this provider"),
            402 => "check the account's credits or billing at the provider".to_string(),
            403 => format!("check that {key} may use this model and endpoint"),
            _ => "check the model id in fabula.yaml and the provider's base URL".to_string(),
        }
    }
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
            CallError::MissingKey { .. }
            | CallError::Config(_)
            | CallError::Refused(_)
            | CallError::TooLarge { .. }
            | CallError::OverBudget { .. }
            | CallError::Exhausted { .. }
            | CallError::Deferred { .. } => false,
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

    /// Whether the provider may have generated (and billed) an answer we did not get: it
    /// timed out, or answered with a body we could not use. Statuses, refusals and
    /// connection failures are taken as unbilled. The budget charges such calls in full.
    pub fn may_have_billed(&self) -> bool {
        match self {
            CallError::Timeout(_) | CallError::Malformed(_) | CallError::TooLarge { .. } => true,
            CallError::Deferred { sent, .. } => *sent,
            CallError::Exhausted { last, .. } => last.may_have_billed(),
            _ => false,
        }
    }

    /// The refusal, if this call failed because its provider (or model) is refused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            CallError::Refused(r) => Some(r),
            _ => None,
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

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match (self.status, &self.model) {
            (401, _) => "rejected the API key".to_string(),
            (402, _) => "refused payment".to_string(),
            (403, _) => "denied permission".to_string(),
            (_, Some(model)) => format!("does not know model `{model}`"),
            _ => "refused the request".to_string(),
        };
        let target = if self.model.is_some() {
            "this model"
        } else {
            "it"
        };
        write!(
            f,
            "provider `{}` {what} (HTTP {}); {}; no more requests go to {target} in this run",
            self.provider,
            self.status,
            self.check()
        )?;
        if !self.detail.is_empty() {
            write!(f, " (it said: {})", self.detail)?;
        }
        Ok(())
    }
}

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

/// Whether `e` refused the call rather than failed it: a missing key, a provider that
/// rejected the key or the model (401, 402, 403, 404), a budget that cannot pay for it.
/// Such a call is not a result about the model: no record is kept of it.
pub fn refuses_run(e: &CallError) -> bool {
    match e {
        CallError::MissingKey { .. }
        | CallError::Refused(_)
        | CallError::OverBudget { .. }
        | CallError::Deferred { .. } => true,
        CallError::Exhausted { last, .. } => refuses_run(last),
        _ => false,
    }
}

/// Whether `e` is the budget refusing a call (the run stops scheduling).
pub fn is_over_budget(e: &CallError) -> bool {
    match e {
        CallError::OverBudget { .. } => true,
        CallError::Exhausted { last, .. } => is_over_budget(last),
        _ => false,
    }
}

/// The failure kind of a call that failed after the provider layer's retries.
pub fn failure_kind(e: &CallError) -> fabula_core::model::FailureKind {
    use fabula_core::model::FailureKind;
    match e {
        CallError::Config(_) | CallError::MissingKey { .. } => FailureKind::Config,
        // The model wrote more than any answer may be: its own doing.
        CallError::TooLarge { .. } => FailureKind::TooLarge,
        CallError::Exhausted { last, .. } => failure_kind(last),
        _ => FailureKind::Provider,
    }
}

//! What each wire format accepts, per model family: the field that bounds the answer's
//! length, whether a sampling temperature is accepted, and which model settings a format
//! cannot carry. One table ([`RULES`]); the request builders and [`review_model`] read it,
//! so what is sent and what the user is told agree.

use fabula_core::model::{Dialect, ModelConfig};
use std::fmt;

/// A wire format: OpenAI-compatible chat completions in one dialect, or Anthropic's
/// Messages API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    Chat(Dialect),
    Messages,
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wire::Chat(d) => write!(f, "{} dialect", d.as_str()),
            Wire::Messages => write!(f, "anthropic messages"),
        }
    }
}

/// How one family of models takes its parameters in one wire format.
#[derive(Debug)]
pub(crate) struct Rule {
    wire: Wire,
    /// Model ids of the family, without any `vendor/` prefix: an id belongs when it is
    /// one of these or starts with one followed by `-` or `.` (`o3-mini`, `gpt-5.1`).
    families: &'static [&'static str],
    /// The request field that bounds the answer, reasoning included.
    pub max_tokens_field: &'static str,
    /// Whether a temperature other than the default (1) is accepted.
    pub temperature: bool,
}

/// First match wins; a wire format's models not listed follow [`DEFAULT`]. OpenRouter
/// takes `max_tokens` and `temperature` for every model and translates or drops them
/// itself, so it has no rows.
const RULES: &[Rule] = &[
    // The chat variant of GPT-5 is not a reasoning model: it takes a temperature.
    Rule {
        wire: Wire::Chat(Dialect::Openai),
        families: &["gpt-5-chat"],
        max_tokens_field: "max_completion_tokens",
        temperature: true,
    },
    // OpenAI's reasoning models reject `max_tokens` and any temperature but 1.
    Rule {
        wire: Wire::Chat(Dialect::Openai),
        families: &["o1", "o3", "o4", "gpt-5"],
        max_tokens_field: "max_completion_tokens",
        temperature: false,
    },
];

const DEFAULT: Rule = Rule {
    wire: Wire::Messages,
    families: &[],
    max_tokens_field: "max_tokens",
    temperature: true,
};

/// The rule for `model` (a provider's model id) in `wire`.
pub(crate) fn rule(wire: Wire, model: &str) -> &'static Rule {
    let id = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    let belongs = |family: &str| {
        id.strip_prefix(family)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
    };
    RULES
        .iter()
        .find(|r| r.wire == wire && r.families.iter().any(|f| belongs(f)))
        .unwrap_or(&DEFAULT)
}

/// The error for a reasoning token budget in the openai dialect, which has no field for it.
pub(crate) fn reasoning_budget_unsendable() -> String {
    "`reasoning.max_tokens` cannot be sent in the openai dialect (it has only \
     `reasoning_effort`): use `reasoning.effort`, or set `dialect: openrouter` on the \
     provider if its server takes OpenRouter's `reasoning` object"
        .to_string()
}

/// The error for a temperature the model family rejects.
pub(crate) fn temperature_rejected(model: &str, temperature: f64) -> String {
    format!(
        "`temperature: {temperature}` is not accepted by `{model}` in the openai dialect \
         (OpenAI's reasoning models take only the default, 1): remove it from the model"
    )
}

/// What the wire format would refuse or change in a model's settings.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Settings that cannot be sent as configured: the model must not run.
    pub errors: Vec<String>,
    /// Settings that are changed or not sent, by necessity: the user should know.
    pub warnings: Vec<String>,
}

/// Reviews one model's settings against `wire`.
pub(crate) fn review_model(model: &ModelConfig, wire: Wire) -> Findings {
    let mut f = Findings::default();
    let reasoning_tokens = model.reasoning.as_ref().and_then(|r| r.max_tokens);
    let effort = model.reasoning.as_ref().and_then(|r| r.effort.as_deref());
    let rule = rule(wire, &model.model);
    match wire {
        Wire::Chat(Dialect::Openai) => {
            if reasoning_tokens.is_some() {
                f.errors.push(reasoning_budget_unsendable());
            }
            if let Some(t) = model.temperature.filter(|t| !rule.temperature && *t != 1.0) {
                f.errors.push(temperature_rejected(&model.model, t));
            }
        }
        Wire::Chat(Dialect::Openrouter) => {}
        Wire::Messages => {
            if model.verbosity.is_some() {
                f.warnings.push(
                    "`verbosity` is not part of Anthropic's Messages API and is not sent".into(),
                );
            }
            let thinking = reasoning_tokens.is_some() || effort.is_some_and(|e| e != "minimal");
            match model.temperature {
                Some(_) if thinking => f.warnings.push(
                    "`temperature` is not sent while extended thinking is on (the Messages \
                     API requires the default then)"
                        .into(),
                ),
                Some(t) if t > 1.0 => f.warnings.push(format!(
                    "`temperature: {t}` is sent as 1, the Messages API's maximum"
                )),
                _ => {}
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_match_whole_names() {
        let field = |wire, id| rule(wire, id).max_tokens_field;
        let openai = Wire::Chat(Dialect::Openai);
        for id in [
            "o1",
            "o3-mini",
            "openai/o4-mini",
            "gpt-5",
            "GPT-5.1",
            "gpt-5-chat-latest",
        ] {
            assert_eq!(field(openai, id), "max_completion_tokens", "{id}");
        }
        for id in ["o10", "gpt-50", "gpt-4o", "llama-o3", "olmo"] {
            assert_eq!(field(openai, id), "max_tokens", "{id}");
        }
        assert_eq!(
            field(Wire::Chat(Dialect::Openrouter), "openai/o3"),
            "max_tokens"
        );
        assert!(rule(openai, "gpt-5-chat-latest").temperature);
        assert!(!rule(openai, "gpt-5-mini").temperature);
    }
}

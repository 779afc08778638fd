//! A model config bound to its provider: turns messages into a [`ChatRequest`] with the
//! config's parameters and the task's token budget, and calls the provider.

use crate::call::{CallError, ChatRequest, Completion, Message, ReasoningRequest};
use crate::provider::{Provider, priced};
use fabula_core::model::{ModelConfig, TokenBudget};
use std::sync::Arc;

/// Tokens for a request when neither the task, the settings nor the model say.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

#[derive(Clone, Debug)]
pub struct ModelHandle {
    /// Config name in `fabula.yaml`.
    pub name: String,
    pub config: ModelConfig,
    pub provider: Arc<dyn Provider>,
}

impl ModelHandle {
    pub fn simulated(&self) -> bool {
        self.provider.simulated()
    }

    /// The request for `messages` under `budget` (the task's, else its type's).
    ///
    /// `max_tokens` comes from the budget, else the model config, else
    /// [`DEFAULT_MAX_TOKENS`]. A reasoning token budget is the model's, capped by the
    /// budget's `max_reasoning`, and must leave room for the answer.
    pub fn request(
        &self,
        messages: Vec<Message>,
        budget: TokenBudget,
        json: bool,
    ) -> Result<ChatRequest, CallError> {
        let max_tokens = budget
            .max_tokens
            .or(self.config.max_tokens)
            .unwrap_or(DEFAULT_MAX_TOKENS);
        let reasoning = match &self.config.reasoning {
            Some(r) => match (r.max_tokens, &r.effort) {
                (Some(tokens), _) => {
                    let tokens = budget.max_reasoning.map_or(tokens, |cap| tokens.min(cap));
                    if tokens >= max_tokens {
                        return Err(CallError::Config(format!(
                            "model `{}`: reasoning budget {tokens} leaves no room for the answer in max_tokens {max_tokens}",
                            self.name
                        )));
                    }
                    Some(ReasoningRequest::Tokens(tokens))
                }
                (None, Some(effort)) => Some(ReasoningRequest::Effort(effort.clone())),
                (None, None) => None,
            },
            None => None,
        };
        Ok(ChatRequest {
            model: self.config.model.clone(),
            messages,
            max_tokens,
            temperature: self.config.temperature,
            reasoning,
            verbosity: self.config.verbosity.clone(),
            json,
            response_schema: None,
        })
    }

    /// Calls the provider; fills in the cost from the config's prices when the provider
    /// did not report one.
    pub async fn call(&self, request: &ChatRequest) -> Result<Completion, CallError> {
        let mut c = self.provider.complete(request).await?;
        if c.cost_usd.is_none() {
            c.cost_usd = priced(c.usage, self.config.price);
        }
        Ok(c)
    }
}

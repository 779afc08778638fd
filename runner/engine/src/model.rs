//! A model config bound to its provider: turns messages into a [`ChatRequest`] with the
//! config's parameters and the task's token budget, and calls the provider — under the
//! run's [`Budget`], when there is one.

use crate::batch::BatchRoute;
use crate::budget::{self, Budget, Usd};
use crate::call::{CallError, ChatRequest, Completion, Message, ReasoningRequest};
use crate::provider::{Provider, priced};
use fabula_core::model::{ModelConfig, Price, TokenBudget};
use std::sync::Arc;

/// Tokens for a request when neither the task, the settings nor the model say.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The question `fabula doctor` asks each model: its answer is one word.
pub const PROBE_PROMPT: &str = "Reply with the single word: ready";

#[derive(Clone, Debug)]
pub struct ModelHandle {
    /// Config name in `fabula.yaml`.
    pub name: String,
    pub config: ModelConfig,
    pub provider: Arc<dyn Provider>,
    /// The run's spending cap, shared by every model; `None` spends without a cap.
    pub budget: Option<Arc<Budget>>,
    /// Set when this handle's calls go in a provider batch (`fabula run --batch`): they
    /// are priced at the batch price.
    pub batch: Option<BatchRoute>,
}

impl ModelHandle {
    /// `config` (named `name`) bound to `provider`, with no budget.
    pub fn new(name: &str, config: ModelConfig, provider: Arc<dyn Provider>) -> ModelHandle {
        ModelHandle {
            name: name.to_string(),
            config,
            provider,
            budget: None,
            batch: None,
        }
    }

    /// The same model, its calls sent in a batch through `route`.
    pub fn batched(&self, route: BatchRoute) -> ModelHandle {
        ModelHandle {
            batch: Some(route),
            ..self.clone()
        }
    }

    /// The price a call of this handle pays: the batch price for a batched handle.
    pub fn price(&self) -> Option<Price> {
        let price = self.config.price?;
        Some(if self.batch.is_some() {
            price.batched()
        } else {
            price
        })
    }

    /// The same model, calling under `budget`.
    pub fn with_budget(mut self, budget: Arc<Budget>) -> ModelHandle {
        self.budget = Some(budget);
        self
    }

    pub fn simulated(&self) -> bool {
        self.provider.simulated()
    }

    /// The request for `messages` under `budget` (the task's, else its type's).
    ///
    /// `max_tokens` is the smaller of the budget's and the model config's when both are
    /// set, else whichever is set, else [`DEFAULT_MAX_TOKENS`]: a model's `max_tokens`
    /// is a ceiling (what the model can or may produce), the budget is the task's fair
    /// share. A reasoning token budget is the model's, capped by the budget's
    /// `max_reasoning`, and must leave room for the answer.
    pub fn request(
        &self,
        messages: Vec<Message>,
        budget: TokenBudget,
        json: bool,
    ) -> Result<ChatRequest, CallError> {
        let max_tokens = match (budget.max_tokens, self.config.max_tokens) {
            (Some(task), Some(model)) => task.min(model),
            (task, model) => task.or(model).unwrap_or(DEFAULT_MAX_TOKENS),
        };
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

    /// The request `fabula doctor` sends: [`PROBE_PROMPT`] with the model's own settings,
    /// exactly as a judge, oracle or critic call of this model would send them.
    pub fn probe_request(&self) -> Result<ChatRequest, CallError> {
        self.request(
            vec![Message::user(PROBE_PROMPT)],
            TokenBudget::default(),
            false,
        )
    }

    /// The most `request` can cost at the model's price (the batch price for a batched
    /// handle); `None` without a price.
    pub fn worst_case_cost(&self, request: &ChatRequest) -> Option<Usd> {
        budget::worst_case(
            request.input_tokens_bound(),
            request.max_tokens,
            self.price()?,
        )
    }

    /// Calls the provider; fills in the cost from the config's prices when the provider
    /// did not report one. Under a budget, the call's worst case is reserved first
    /// ([`CallError::OverBudget`] when it does not fit; nothing is sent) and settled
    /// with the actual cost when it returns.
    pub async fn call(&self, request: &ChatRequest) -> Result<Completion, CallError> {
        let reservation = match &self.budget {
            Some(b) if !self.simulated() => Some(self.reserve(b, request)?),
            _ => None,
        };
        let answer = match &self.batch {
            Some(route) => route.call(&self.config.model, request).await,
            None => self.provider.complete(request).await,
        };
        let result = answer.map(|mut c| {
            if c.cost_usd.is_none() {
                c.cost_usd = priced(c.usage, self.price());
            }
            c
        });
        if let Some(r) = reservation {
            match &result {
                Ok(c) => r.settle(Some(c.cost_usd.unwrap_or(0.0))),
                Err(e) if e.may_have_billed() => r.charge_in_full(),
                Err(_) => r.release(),
            }
        }
        result
    }

    fn reserve(
        &self,
        budget: &Arc<Budget>,
        request: &ChatRequest,
    ) -> Result<budget::Reservation, CallError> {
        let worst = match (self.config.price, budget.allows_unpriced()) {
            (Some(_), _) => self.worst_case_cost(request).ok_or_else(|| {
                CallError::Config(format!(
                    "model `{}`: its price gives no finite cost, so the budget cannot bound it",
                    self.name
                ))
            })?,
            (None, true) => Usd::ZERO,
            (None, false) => {
                return Err(CallError::Config(format!(
                    "model `{}` has no price, so the budget cannot bound its cost: add `price:` to it in fabula.yaml, or allow unpriced models",
                    self.name
                )));
            }
        };
        budget
            .reserve(worst)
            .map_err(|(needed, left)| CallError::OverBudget { needed, left })
    }
}

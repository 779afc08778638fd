//! Running a task: the engine drives the task kind's [`Dialogue`] with real model calls.
//! The writer keeps one conversation; the oracle and the critic get one fresh message
//! per ask. Every turn goes into the transcript; a failure stops the run and is kept with
//! what happened before it and what kind of failure it was, never dropped.
//!
//! What a failure means for the score (SPEC.md, "Numbers"): a writer turn that does not
//! end normally, or an empty writer answer, is the model's failure; a call that fails
//! after the provider layer's retries, or a helper that fails or answers nonsense, is the
//! infrastructure's.

use crate::call::{CallError, Completion, Message};
use crate::model::ModelHandle;
use fabula_core::kind::{self, Ask, Next, Parts, Party, TaskInput};
use fabula_core::model::{Actor, FailureKind, FinishReason, Role, TokenBudget, Turn, Usage};
use fabula_core::template;
use std::collections::BTreeMap;

/// The models taking part: the writer under test, and the helpers some kinds need.
#[derive(Clone, Copy, Debug)]
pub struct Roles<'a> {
    pub writer: &'a ModelHandle,
    pub oracle: Option<&'a ModelHandle>,
    pub critic: Option<&'a ModelHandle>,
}

/// What a run of a task produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub parts: Parts,
    pub transcript: Vec<Turn>,
    pub usage: Usage,
    /// `usage` split by role: `writer`, `oracle`, `critic`.
    pub usage_by_role: BTreeMap<String, Usage>,
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
    /// The finish reason of the last writer turn.
    pub finish: Option<FinishReason>,
    /// Set when the run failed.
    pub failure: Option<(FailureKind, String)>,
    /// Set when a call was refused before it was made or could never succeed in this
    /// run (a spent budget, a rejected key): the run is not a result to keep.
    pub refused: Option<CallError>,
    /// The provider batch the writer's answer came in (`fabula run --batch`).
    pub batch: Option<String>,
}

/// Runs `input.task` with `roles`.
pub async fn execute(input: TaskInput<'_>, roles: Roles<'_>) -> Outcome {
    let mut run = Run::new(roles.writer, input.budget);
    let mut dialogue = kind::of(input.task.task_type()).dialogue(input);
    let mut next = dialogue.start();
    loop {
        next = match next {
            Next::Done => break,
            Next::Fail(kind, reason) => {
                run.out.failure = Some((kind, reason));
                break;
            }
            Next::Ask(ask) => match run.ask(&ask, roles).await {
                Ok(answer) => dialogue.answer(&answer),
                Err(Stop) => break,
            },
        };
    }
    run.out.parts = dialogue.into_parts();
    run.out
}

/// A run stopped early; the reason is in `Outcome::failure` or `Outcome::refused`.
struct Stop;

struct Run<'a> {
    writer: &'a ModelHandle,
    budget: TokenBudget,
    messages: Vec<Message>,
    out: Outcome,
}

impl<'a> Run<'a> {
    fn new(writer: &'a ModelHandle, budget: TokenBudget) -> Run<'a> {
        let system = template::render("system", &[]);
        let mut run = Run {
            writer,
            budget,
            messages: vec![Message::system(system.clone())],
            out: Outcome::default(),
        };
        run.note(Role::System, Actor::Harness, system);
        run
    }

    fn note(&mut self, role: Role, actor: Actor, content: String) {
        self.out.transcript.push(Turn {
            role,
            actor,
            content,
            usage: None,
            latency_ms: None,
            finish: None,
        });
    }

    async fn ask(&mut self, ask: &Ask, roles: Roles<'_>) -> Result<String, Stop> {
        match ask.party {
            Party::Writer => self.ask_writer(ask).await,
            Party::Oracle => {
                self.ask_helper(ask, roles.oracle, Actor::Oracle, "oracle")
                    .await
            }
            Party::Critic => {
                self.ask_helper(ask, roles.critic, Actor::Critic, "critic")
                    .await
            }
        }
    }

    async fn ask_writer(&mut self, ask: &Ask) -> Result<String, Stop> {
        self.messages.push(Message::user(ask.prompt.clone()));
        self.note(Role::User, ask.shown_as, ask.prompt.clone());
        let what = format!("model `{}`", self.writer.name);
        let completion = self
            .call(
                self.writer,
                self.messages.clone(),
                self.budget,
                ask.json,
                &what,
                false,
            )
            .await?;
        self.record(&completion, Actor::Writer, "writer");
        self.out.finish = Some(completion.finish);
        self.messages
            .push(Message::assistant(completion.text.clone()));
        if let Some(kind) = FailureKind::of_finish(completion.finish) {
            return Err(self.fail(
                kind,
                format!(
                    "the model stopped with finish reason `{}` after {} completion tokens ({} reasoning)",
                    completion.finish.as_str(),
                    completion.usage.completion_tokens,
                    completion.usage.reasoning_tokens
                ),
            ));
        }
        if completion.text.trim().is_empty() {
            return Err(self.fail(
                FailureKind::Empty,
                format!(
                    "the model answered with no text ({} completion tokens)",
                    completion.usage.completion_tokens
                ),
            ));
        }
        Ok(completion.text)
    }

    async fn ask_helper(
        &mut self,
        ask: &Ask,
        helper: Option<&ModelHandle>,
        actor: Actor,
        role: &str,
    ) -> Result<String, Stop> {
        let Some(model) = helper else {
            return Err(self.fail(
                FailureKind::Config,
                format!("this task needs {role}: name one under `{role}` in fabula.yaml"),
            ));
        };
        let what = format!("{role} `{}`", model.name);
        let completion = self
            .call(
                model,
                vec![Message::user(ask.prompt.clone())],
                TokenBudget::default(),
                ask.json,
                &what,
                true,
            )
            .await?;
        self.record(&completion, actor, role);
        if completion.finish != FinishReason::Stop || completion.text.trim().is_empty() {
            return Err(self.fail(
                FailureKind::Helper,
                format!(
                    "{what} stopped with finish reason `{}`{}",
                    completion.finish.as_str(),
                    if completion.text.trim().is_empty() {
                        " and no text"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(completion.text)
    }

    async fn call(
        &mut self,
        model: &ModelHandle,
        messages: Vec<Message>,
        budget: TokenBudget,
        json: bool,
        what: &str,
        helper: bool,
    ) -> Result<Completion, Stop> {
        let request = match model.request(messages, budget, json) {
            Ok(r) => r,
            Err(e) => return Err(self.fail(FailureKind::Config, format!("{what}: {e}"))),
        };
        match model.call(&request).await {
            Ok(c) => Ok(c),
            Err(e) if crate::call::refuses_run(&e) => {
                self.out.refused = Some(e);
                Err(Stop)
            }
            Err(e) => {
                let kind = if helper {
                    FailureKind::Helper
                } else {
                    crate::call::failure_kind(&e)
                };
                Err(self.fail(kind, format!("{what}: {e}")))
            }
        }
    }

    fn fail(&mut self, kind: FailureKind, reason: String) -> Stop {
        self.out.failure = Some((kind, reason));
        Stop
    }

    /// Adds a model's answer to the transcript and its usage, time and cost to the totals.
    fn record(&mut self, c: &Completion, actor: Actor, role: &str) {
        self.out.transcript.push(Turn {
            role: Role::Assistant,
            actor,
            content: c.text.clone(),
            usage: Some(c.usage),
            latency_ms: Some(c.latency.as_millis() as u64),
            finish: Some(c.finish),
        });
        self.out.usage.add(c.usage);
        self.out
            .usage_by_role
            .entry(role.to_string())
            .or_default()
            .add(c.usage);
        self.out.latency_ms += c.latency.as_millis() as u64;
        if c.batch.is_some() {
            self.out.batch.clone_from(&c.batch);
        }
        if let Some(cost) = c.cost_usd {
            *self.out.cost_usd.get_or_insert(0.0) += cost;
        }
    }
}

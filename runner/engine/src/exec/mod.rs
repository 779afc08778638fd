//! Execution of a task by a model: one request for the standard types, a loop for the
//! agentic ones. Every turn goes into the transcript; a failure stops the task and is
//! recorded with what happened before it, never dropped.

mod critique;
mod discovery;
mod iterative;
mod planning;

mod sequence;
pub(crate) mod single;

use crate::call::{CallError, Message};
use crate::model::ModelHandle;
use crate::template;
use fabula_core::model::{
    Actor, FinishReason, Question, Role, Task, TaskBody, TaskType, Theory, TokenBudget, Turn, Usage,
};

/// Everything a task needs to run besides the models.
#[derive(Clone, Copy, Debug)]
pub struct TaskInput<'a> {
    pub task: &'a Task,
    pub theory: &'a Theory,
    /// The source theory of a theory conversion.
    pub source_theory: Option<&'a Theory>,
    pub slop: &'a [String],
    /// The task's budget, else its type's from `fabula.yaml`.
    pub budget: TokenBudget,
}

/// The models taking part: the writer under test, and the helpers some types need.
#[derive(Clone, Copy, Debug)]
pub struct Roles<'a> {
    pub writer: &'a ModelHandle,
    pub oracle: Option<&'a ModelHandle>,
    pub critic: Option<&'a ModelHandle>,
}

/// What a run of a task produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// The text that is scored (empty when the run failed before producing one).
    pub output: String,
    pub drafts: Vec<String>,
    pub plan: Option<String>,
    pub steps: Vec<String>,
    pub questions: Vec<Question>,
    pub transcript: Vec<Turn>,
    pub usage: Usage,
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
    /// The finish reason of the last writer turn.
    pub finish: Option<FinishReason>,
    /// Set when the run failed: a call error, or a writer turn that did not stop normally.
    pub error: Option<String>,
}

/// The templates a task type's prompts come from (for its fingerprint).
pub fn templates(task_type: TaskType) -> &'static [&'static str] {
    match task_type {
        TaskType::BeatInterpolation => &["system", "beat_interpolation"],
        TaskType::BeatRevision => &["system", "beat_revision"],
        TaskType::ConstrainedContinuation => &["system", "constrained_continuation"],
        TaskType::TheoryConversion => &["system", "theory_conversion"],
        TaskType::MultiBeatSynthesis => &["system", "multi_beat_synthesis"],
        TaskType::Sequence => &["system", "sequence_first", "sequence_next"],
        TaskType::AgenticConstraintDiscovery => &[
            "system",
            "discovery_intro",
            "discovery_answer",
            "discovery_write",
            "oracle",
        ],
        TaskType::AgenticPlanningExecution => {
            &["system", "story_brief", "planning_plan", "planning_write"]
        }
        TaskType::AgenticIterativeRevision => &["system", "story_brief", "revise_feedback"],
        TaskType::CritiqueImprovement => &["system", "story_brief", "critic", "revise_critique"],
    }
}

/// Runs `input.task` with `roles`.
pub async fn execute(input: TaskInput<'_>, roles: Roles<'_>) -> Outcome {
    let mut c = Conversation::new(roles.writer, input.budget);
    let result = match &input.task.body {
        TaskBody::Sequence(s) => sequence::run(&mut c, input, s).await,
        TaskBody::AgenticConstraintDiscovery(d) => {
            discovery::run(&mut c, input, roles.oracle, d).await
        }
        TaskBody::AgenticPlanningExecution(p) => planning::run(&mut c, input, p).await,
        TaskBody::AgenticIterativeRevision(r) => iterative::run(&mut c, input, r).await,
        TaskBody::CritiqueImprovement(r) => critique::run(&mut c, input, roles.critic, r).await,
        _ => single::run(&mut c, input).await,
    };
    if let Err(Stop) = result {
        debug_assert!(c.out.error.is_some());
    }
    c.out
}

/// A run stopped early; the reason is in `Outcome::error`.
#[derive(Debug)]
pub(crate) struct Stop;

/// The writer's conversation, and the outcome being built.
pub(crate) struct Conversation<'a> {
    writer: &'a ModelHandle,
    budget: TokenBudget,
    messages: Vec<Message>,
    pub out: Outcome,
}

impl<'a> Conversation<'a> {
    fn new(writer: &'a ModelHandle, budget: TokenBudget) -> Conversation<'a> {
        let system = template::render("system", &[]);
        let mut c = Conversation {
            writer,
            budget,
            messages: vec![Message::system(system.clone())],
            out: Outcome::default(),
        };
        c.note(Role::System, Actor::Harness, system);
        c
    }

    /// A transcript entry that is not a model call.
    pub fn note(&mut self, role: Role, actor: Actor, content: String) {
        self.out.transcript.push(Turn {
            role,
            actor,
            content,
            usage: None,
            latency_ms: None,
            finish: None,
        });
    }

    /// Sends `prompt` (shown as coming from `actor`) to the writer and returns its answer.
    pub async fn ask(&mut self, prompt: String, actor: Actor) -> Result<String, Stop> {
        self.messages.push(Message::user(prompt.clone()));
        self.note(Role::User, actor, prompt);
        let request = self
            .writer
            .request(self.messages.clone(), self.budget, false)
            .map_err(|e| self.fail(&format!("model `{}`", self.writer.name), e))?;
        let completion = self
            .writer
            .call(&request)
            .await
            .map_err(|e| self.fail(&format!("model `{}`", self.writer.name), e))?;
        self.record(&completion, Actor::Writer);
        self.out.finish = Some(completion.finish);
        self.messages
            .push(Message::assistant(completion.text.clone()));
        if completion.finish != FinishReason::Stop {
            self.out.error = Some(format!(
                "the model stopped with finish reason `{}` after {} completion tokens ({} reasoning)",
                completion.finish.as_str(),
                completion.usage.completion_tokens,
                completion.usage.reasoning_tokens
            ));
            return Err(Stop);
        }
        Ok(completion.text)
    }

    /// A one-off call to a helper model (oracle, critic), recorded in the transcript.
    pub async fn side_call(
        &mut self,
        model: &ModelHandle,
        actor: Actor,
        prompt: String,
        json: bool,
    ) -> Result<String, Stop> {
        let what = format!("{} `{}`", actor_name(actor), model.name);
        let request = model
            .request(vec![Message::user(prompt)], TokenBudget::default(), json)
            .map_err(|e| self.fail(&what, e))?;
        let completion = model
            .call(&request)
            .await
            .map_err(|e| self.fail(&what, e))?;
        self.record(&completion, actor);
        if completion.finish != FinishReason::Stop {
            self.out.error = Some(format!(
                "{what} stopped with finish reason `{}`",
                completion.finish.as_str()
            ));
            return Err(Stop);
        }
        Ok(completion.text)
    }

    /// Fails the run with a reason that is not a call error.
    pub fn fail_with(&mut self, reason: String) -> Stop {
        self.out.error = Some(reason);
        Stop
    }

    fn fail(&mut self, what: &str, e: CallError) -> Stop {
        self.out.error = Some(format!("{what}: {e}"));
        Stop
    }

    /// Adds a model's answer to the transcript and its usage, time and cost to the totals.
    fn record(&mut self, c: &crate::call::Completion, actor: Actor) {
        self.out.transcript.push(Turn {
            role: Role::Assistant,
            actor,
            content: c.text.clone(),
            usage: Some(c.usage),
            latency_ms: Some(c.latency.as_millis() as u64),
            finish: Some(c.finish),
        });
        self.out.usage.add(c.usage);
        self.out.latency_ms += c.latency.as_millis() as u64;
        if let Some(cost) = c.cost_usd {
            *self.out.cost_usd.get_or_insert(0.0) += cost;
        }
    }
}

fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Actor::Harness => "harness",
        Actor::Writer => "model",
        Actor::Oracle => "oracle",
        Actor::Critic => "critic",
        Actor::Feedback => "feedback",
    }
}

/// The shared brief of the story-writing agentic types (planning, revision, critique).
pub(crate) fn story_brief(
    input: TaskInput<'_>,
    premise: &str,
    beats: &[String],
    constraints: &fabula_core::model::Constraints,
    markers: bool,
) -> String {
    let markers = if markers {
        let example = beats.first().map_or("setup", String::as_str);
        format!(
            "\nStart each beat's section with a marker line naming it, alone on its line, e.g. [beat: {example}].\n"
        )
    } else {
        String::new()
    };
    template::render(
        "story_brief",
        &[
            ("theory", &crate::prompt::theory_name(input.theory)),
            ("beats", &crate::prompt::beats(input.theory, beats)),
            ("premise", premise),
            ("constraints", &crate::prompt::constraints(constraints)),
            ("markers", &markers),
            ("min", &crate::prompt::min(input.task)),
            ("max", &crate::prompt::max(input.task)),
        ],
    )
}

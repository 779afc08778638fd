//! Task kinds: everything one task type knows, one module each, registered in [`KINDS`]
//! like the checks are in `CHECKS`. A kind owns its prompts (as a [`Dialogue`]: the
//! conversation as a state machine that does no IO), how a judge sees its task and its
//! generations, the item lists its criteria are judged over, how many calls it makes (for
//! planning), its short label, and its process metrics. Its criteria live in
//! `criteria.yaml`, its wording in `templates/`.
//!
//! The engine drives a dialogue with real model calls; fingerprints drive it with stand-in
//! answers ([`rehearse`]) and hash every prompt it renders, so no prompt text can escape
//! versioning.

mod beat_interpolation;
mod beat_revision;
mod constrained_continuation;
mod critique_improvement;
mod discovery;
mod iterative_revision;
mod multi_beat_synthesis;
mod planning;
mod sequence;
mod theory_conversion;

pub use discovery::{QUESTION, READY, parse_oracle, question_in};

use crate::criteria::Per;
use crate::model::{
    Actor, Constraints, FailureKind, GenerationRecord, GenerationSummary, Question, Task, TaskType,
    Theory, TokenBudget,
};
use crate::prompt;
use crate::template::render;

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

/// Who a prompt goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The model under test, in its one conversation.
    Writer,
    /// The oracle of constraint discovery: one fresh message per question.
    Oracle,
    /// The critic of critique improvement: one fresh message per round.
    Critic,
}

/// One prompt of a dialogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    pub party: Party,
    /// Who the prompt is shown as coming from in the transcript (writer prompts).
    pub shown_as: Actor,
    pub prompt: String,
    /// Ask for a JSON object answer.
    pub json: bool,
}

impl Ask {
    fn writer(shown_as: Actor, prompt: String) -> Next {
        Next::Ask(Ask {
            party: Party::Writer,
            shown_as,
            prompt,
            json: false,
        })
    }
}

/// What a dialogue wants next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Ask(Ask),
    Done,
    /// The run cannot go on.
    Fail(FailureKind, String),
}

/// What a finished dialogue produced besides the transcript.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parts {
    /// The text that is scored.
    pub output: String,
    pub drafts: Vec<String>,
    pub plan: Option<String>,
    pub steps: Vec<String>,
    pub questions: Vec<Question>,
}

/// A task's conversation as a state machine: it renders prompts and reads answers, and
/// never calls anything itself.
pub trait Dialogue: Send {
    /// The first prompt.
    fn start(&mut self) -> Next;
    /// The answer to the last [`Next::Ask`] (a normal stop, not empty); what comes next.
    fn answer(&mut self, text: &str) -> Next;
    fn into_parts(self: Box<Self>) -> Parts;
    /// A stand-in answer to `ask` for rehearsals: chosen so that a rehearsal walks every
    /// prompt the protocol can send.
    fn rehearsal_answer(&self, ask: &Ask) -> String {
        match ask.party {
            Party::Writer => STAND_IN.to_string(),
            Party::Oracle => r#"{"answer": "YES", "reveals": []}"#.to_string(),
            Party::Critic => STAND_IN.to_string(),
        }
    }
}

/// What rehearsals answer in place of a model.
pub const STAND_IN: &str = "[model output]";

/// Most calls a task makes, for planning and cost estimates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    pub writer: usize,
    /// To the oracle or the critic.
    pub helper: usize,
}

impl Calls {
    /// One request and nothing else: the work a provider batch can carry (a batch
    /// answers each request on its own, so a conversation cannot go through one).
    pub fn single(self) -> bool {
        self.writer == 1 && self.helper == 0
    }
}

/// Everything one task type knows.
pub trait TaskKind: Sync {
    fn task_type(&self) -> TaskType;
    /// A short column label for tables.
    fn label(&self) -> &'static str;
    /// Every template its prompts, item labels and judge views may render besides
    /// [`SHARED_TEMPLATES`] (a test proves the list complete); fingerprints hash their
    /// versions.
    fn templates(&self) -> &'static [&'static str];
    /// The helper it talks to, if any.
    fn helper(&self) -> Option<Party> {
        None
    }
    /// Most calls a run of `task` makes.
    fn calls(&self, _task: &Task) -> Calls {
        Calls {
            writer: 1,
            helper: 0,
        }
    }
    /// The conversation of one run.
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a>;
    /// The task as a judge reads it.
    fn judge_brief(&self, input: TaskInput<'_>) -> String;
    /// What only judges may know (a flaw, hidden constraints); empty for most kinds.
    fn judge_hidden(&self, _input: TaskInput<'_>) -> String {
        String::new()
    }
    /// The text a judge reads for a generation.
    fn judge_view(&self, g: &GenerationRecord) -> String {
        g.output.clone()
    }
    /// The items of `per` in this task, labelled for the judge, for criterion `criterion`.
    fn items(&self, input: TaskInput<'_>, per: Per, criterion: &str) -> Vec<String>;
    /// Hidden constraints revealed per question asked, for the kinds that ask.
    fn discovery_efficiency(&self, _g: &GenerationSummary) -> Option<f64> {
        None
    }
    /// Whether drafts are scored too (an improvement trajectory).
    fn scores_drafts(&self) -> bool {
        false
    }
}

/// Templates any kind's prompts may render besides its own: the system prompt, the shared
/// prompt pieces ([`crate::prompt`]) and the item labels of [`common_items`].
pub const SHARED_TEMPLATES: &[&str] = &[
    "system",
    "theory_name",
    "beat_line",
    "beat_line_unknown",
    "list_item",
    "premise_block",
    "constraints_must_include",
    "constraints_must_not_include",
    "constraints_tone",
    "constraints_ending",
    "item_beat",
    "item_must_include",
    "item_must_not_include",
    "item_tone",
    "item_ending",
];

/// Every kind, in [`TaskType::ALL`] order.
pub static KINDS: [&dyn TaskKind; 10] = [
    &beat_interpolation::Kind,
    &beat_revision::Kind,
    &constrained_continuation::Kind,
    &theory_conversion::Kind,
    &multi_beat_synthesis::Kind,
    &sequence::Kind,
    &discovery::Kind,
    &planning::Kind,
    &iterative_revision::Kind,
    &critique_improvement::Kind,
];

/// The kind of a task type.
pub fn of(task_type: TaskType) -> &'static dyn TaskKind {
    KINDS
        .iter()
        .copied()
        .find(|k| k.task_type() == task_type)
        .unwrap_or_else(|| unreachable!("every task type has a kind (a test checks)"))
}

/// The prompts a run of `input` sends when every model answers with a stand-in:
/// what fingerprints hash.
pub fn rehearse(input: TaskInput<'_>) -> Vec<Ask> {
    let mut dialogue = of(input.task.task_type()).dialogue(input);
    let mut asks = Vec::new();
    let mut next = dialogue.start();
    // Every protocol is bounded by its task (steps, rounds, questions); the cap only
    // guards against a bug looping forever.
    while let Next::Ask(ask) = next {
        if asks.len() > 10_000 {
            break;
        }
        let answer = dialogue.rehearsal_answer(&ask);
        asks.push(ask);
        next = dialogue.answer(&answer);
    }
    asks
}

/// A generation made of stand-ins, shaped as a run of `asks` would leave it: what
/// fingerprints and tests render judge views of.
pub fn stand_in_generation(task_type: TaskType, asks: &[Ask]) -> GenerationRecord {
    use crate::model::{RECORD_VERSION, Role, Status, Turn};
    GenerationRecord {
        format_version: RECORD_VERSION,
        task: String::new(),
        task_type,
        model: String::new(),
        model_id: String::new(),
        provider: String::new(),
        simulated: false,
        sample: 0,
        fingerprint: String::new(),
        status: Status::Ok,
        error: None,
        failure: None,
        finish: None,
        view_sha: None,
        output: STAND_IN.into(),
        drafts: vec![STAND_IN.into()],
        plan: Some(STAND_IN.into()),
        steps: vec![STAND_IN.into(); 2],
        questions: vec![Question {
            question: STAND_IN.into(),
            answer: "YES".into(),
            reveals: Vec::new(),
        }],
        transcript: asks
            .iter()
            .map(|a| Turn {
                role: Role::User,
                actor: a.shown_as,
                content: a.prompt.clone(),
                usage: None,
                latency_ms: None,
                finish: None,
            })
            .collect(),
        usage: Default::default(),
        usage_by_role: Default::default(),
        programmatic: None,
        cost_usd: None,
        latency_ms: 0,
        created_at: String::new(),
        batch: None,
    }
}

/// The one-request kinds: one prompt, its answer is the output.
struct Single {
    prompt: Result<String, String>,
    output: String,
}

impl Single {
    fn new(prompt: Result<String, String>) -> Box<Single> {
        Box::new(Single {
            prompt,
            output: String::new(),
        })
    }
}

impl Dialogue for Single {
    fn start(&mut self) -> Next {
        match &self.prompt {
            Ok(p) => Ask::writer(Actor::Harness, p.clone()),
            Err(e) => Next::Fail(FailureKind::Config, e.clone()),
        }
    }
    fn answer(&mut self, text: &str) -> Next {
        self.output = text.to_string();
        Next::Done
    }
    fn into_parts(self: Box<Self>) -> Parts {
        Parts {
            output: self.output,
            ..Parts::default()
        }
    }
}

/// The brief shared by the story-writing agentic kinds (planning, revision, critique,
/// and the judge's view of discovery).
fn story_brief(
    input: TaskInput<'_>,
    premise: &str,
    beats: &[String],
    constraints: &Constraints,
    markers: bool,
) -> String {
    let markers = if markers {
        let example = beats.first().map_or("setup", String::as_str);
        render("beat_markers", &[("example", example)])
    } else {
        String::new()
    };
    render(
        "story_brief",
        &[
            ("theory", &prompt::theory_name(input.theory)),
            ("beats", &prompt::beats(input.theory, beats)),
            ("premise", premise),
            ("constraints", &prompt::constraints(constraints)),
            ("markers", &markers),
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    )
}

/// The item lists every kind reads the same way: beats, constraints, terms.
fn common_items(input: TaskInput<'_>, per: Per, beats: &[String]) -> Vec<String> {
    let constraints = input.task.constraints();
    let terms = |pick: fn(&Constraints) -> &Vec<String>, part: &str| -> Vec<String> {
        constraints
            .map(|c| {
                pick(c)
                    .iter()
                    .map(|t| render(part, &[("term", t)]))
                    .collect()
            })
            .unwrap_or_default()
    };
    match per {
        Per::Beats => beats.iter().map(|b| beat_item(input.theory, b)).collect(),
        Per::TargetBeats => input
            .theory
            .beats
            .iter()
            .map(|b| beat_item(input.theory, &b.id))
            .collect(),
        Per::MustInclude => terms(|c| &c.must_include, "item_must_include"),
        Per::MustNotInclude => terms(|c| &c.must_not_include, "item_must_not_include"),
        Per::Constraints => {
            let mut items = terms(|c| &c.must_include, "item_must_include");
            items.extend(terms(|c| &c.must_not_include, "item_must_not_include"));
            if let Some(c) = constraints {
                if let Some(t) = &c.tone {
                    items.push(render("item_tone", &[("tone", t)]));
                }
                if let Some(e) = &c.ending {
                    items.push(render("item_ending", &[("ending", e)]));
                }
            }
            items
        }
        _ => Vec::new(),
    }
}

fn beat_item(theory: &Theory, id: &str) -> String {
    let name = theory.beat(id).map_or(id, |b| b.name.as_str());
    render("item_beat", &[("id", id), ("name", name)])
}

/// The body of a task of kind `T`, which the registry guarantees.
macro_rules! body {
    ($input:expr, $variant:ident) => {
        match &$input.task.body {
            $crate::model::TaskBody::$variant(t) => t,
            _ => unreachable!("a kind only sees tasks of its own type"),
        }
    };
}
pub(crate) use body;

//! Drafting tasks with a model, behind a validation gate (`fabula draft`, and the language
//! server's "Draft N similar tasks").
//!
//! For each draft: the writer gets the type's schema docs, the theory, two existing tasks
//! of the type, the stories to avoid and a skeleton with valid beats, and answers one task
//! as YAML. The core loads and checks it; on findings it goes back to the writer with
//! `fabula check`'s own text, for at most `repair_rounds` rounds. A clean draft whose
//! story is a near-duplicate of a task's is rejected before any validator call; the rest
//! go to the validator, whose strict JSON scores (1–5 on clarity, solvability,
//! originality and fit) must all reach `min_score`. Accepted drafts are written to
//! `dataset/drafts/<type>/<id>.yaml` with a provenance header, never over a file; drafts
//! are never part of runs (`fabula_core::workspace`).
//!
//! The pure parts are sync modules here: [`prompt`], [`parse`], [`similar`]. They sit in
//! the engine, not the core, because prompts are templates (`templates/draft_*.md`)
//! rendered by the engine's one template renderer; only the loop below is async.

use crate::call::{CallError, Completion, Message};
use crate::env::Env;
use crate::model::ModelHandle;
use crate::provider::Tuning;
use crate::setup::{Problem, SetupError};
use fabula_core::check;
use fabula_core::check_text;
use fabula_core::diagnostic::{Diagnostic, Severity};
use fabula_core::document::Document;
use fabula_core::draft::{parse, prompt, similar};
use fabula_core::model::{Config, Task, TaskType, TokenBudget};
use fabula_core::scaffold::{self, NewTask, ScaffoldError, TASK_MODELINE};
use fabula_core::workspace::Workspace;
use parse::Verdict;
use similar::Shingles;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Repair rounds after the first answer, unless asked otherwise.
pub const DEFAULT_REPAIR_ROUNDS: u32 = 2;
/// The lowest score on any criterion that the validator may give an accepted draft.
pub const DEFAULT_MIN_SCORE: u8 = 4;

/// What to draft.
#[derive(Clone, Debug)]
pub struct Request {
    pub task_type: TaskType,
    /// Every draft on this theory; by default they take the project's theories in turn.
    pub theory: Option<String>,
    pub count: u32,
    /// 1–5; see [`Verdict::accepts`].
    pub min_score: u8,
    pub repair_rounds: u32,
}

/// The two models drafting needs.
#[derive(Clone, Debug)]
pub struct Models {
    pub writer: ModelHandle,
    pub validator: ModelHandle,
}

/// Binds the writer and the validator to their providers (with the providers' limits),
/// reporting every problem (unknown model, missing key) at once. An adapter over
/// [`crate::setup::engine`], which also binds the oracle and critic: drafting needs
/// neither, so they are left out here rather than asking for their keys.
pub fn models(
    config: &Config,
    env: &Env,
    tuning: &Tuning,
    writer: &str,
    validator: &str,
) -> Result<Models, SetupError> {
    let mut config = config.clone();
    config.oracle = None;
    config.critic = None;
    let engine = crate::setup::engine(
        &config,
        env,
        tuning,
        &[writer.to_owned()],
        &[validator.to_owned()],
        Vec::new(),
    )?;
    let handle = |name: &str| {
        engine
            .models
            .get(name)
            .cloned()
            .ok_or_else(|| SetupError(vec![Problem::Unbound(name.to_owned())]))
    };
    Ok(Models {
        writer: handle(writer)?,
        validator: handle(validator)?,
    })
}

/// The project drafts are made for.
pub struct Project<'a> {
    /// Where `dataset/drafts/` is written.
    pub root: &'a Path,
    /// The project as loaded (tasks, theories, existing drafts).
    pub ws: &'a Workspace,
}

/// One draft's fate.
#[derive(Clone, Debug)]
pub struct Draft {
    /// 1-based.
    pub index: u32,
    pub theory: String,
    /// The id the writer gave it, when its answer had one.
    pub id: Option<String>,
    /// Repair rounds used (0: the first answer was clean, or never became clean).
    pub repairs: u32,
    /// Whether a repair round turned findings into a clean draft.
    pub repaired: bool,
    pub verdict: Option<Verdict>,
    pub result: DraftResult,
}

#[derive(Clone, Debug)]
pub enum DraftResult {
    /// Written to this project-relative path.
    Accepted {
        path: String,
    },
    Rejected(Rejection),
}

/// Why a draft was not kept.
#[derive(Clone, Debug)]
pub enum Rejection {
    /// Findings remained after the last repair round. `findings` is how many; `report` is
    /// their text as `fabula check` prints it.
    StillInvalid {
        rounds: u32,
        findings: usize,
        report: String,
    },
    /// Its story is too close to an existing task's (or an earlier draft's).
    NearDuplicate { of: String, similarity: f64 },
    /// The validator scored a criterion below the minimum.
    Scores {
        min_score: u8,
        shortfalls: Vec<String>,
    },
    /// The validator's answer was not a verdict.
    Unparsable { reason: String },
    /// A model call failed after the provider's retries.
    CallFailed { role: &'static str, error: String },
    /// The accepted draft could not be written.
    Write(String),
}

impl Rejection {
    /// Whether the draft failed for the machine's sake (a call or the disk), not the gate's.
    pub fn is_failure(&self) -> bool {
        matches!(self, Rejection::CallFailed { .. } | Rejection::Write(_))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::StillInvalid {
                rounds, findings, ..
            } => write!(
                f,
                "still {findings} finding(s) from fabula check after {rounds} repair round(s)"
            ),
            Rejection::NearDuplicate { of, similarity } => write!(
                f,
                "near-duplicate of {of} (word-trigram similarity {similarity:.2} ≥ {:.2}); not sent to the validator",
                similar::THRESHOLD
            ),
            Rejection::Scores {
                min_score,
                shortfalls,
            } => write!(
                f,
                "validator scored below {min_score}: {}",
                shortfalls.join("; ")
            ),
            Rejection::Unparsable { reason } => write!(f, "{reason}"),
            Rejection::CallFailed { role, error } => write!(f, "{role} call failed: {error}"),
            Rejection::Write(why) => write!(f, "{why}"),
        }
    }
}

/// Calls and money spent by one role.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spend {
    pub calls: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// USD, over the calls whose cost is known.
    pub usd: f64,
    /// Calls with no provider-reported cost and no price in `fabula.yaml`.
    pub unpriced: u32,
}

impl Spend {
    fn add(&mut self, c: &Completion) {
        self.calls += 1;
        self.prompt_tokens += c.usage.prompt_tokens;
        self.completion_tokens += c.usage.completion_tokens;
        match c.cost_usd {
            Some(usd) => self.usd += usd,
            None => self.unpriced += 1,
        }
    }
}

/// Everything a drafting session did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub drafts: Vec<Draft>,
    pub writer: Spend,
    pub validator: Spend,
}

impl Report {
    pub fn accepted(&self) -> usize {
        self.drafts
            .iter()
            .filter(|d| matches!(d.result, DraftResult::Accepted { .. }))
            .count()
    }

    /// Drafts whose findings a repair round fixed (accepted or not afterwards).
    pub fn repaired(&self) -> usize {
        self.drafts.iter().filter(|d| d.repaired).count()
    }

    pub fn rejected(&self) -> usize {
        self.drafts.len() - self.accepted()
    }

    /// Drafts that failed for a call or the disk.
    pub fn failed(&self) -> usize {
        self.drafts
            .iter()
            .filter(|d| matches!(&d.result, DraftResult::Rejected(r) if r.is_failure()))
            .count()
    }

    pub fn cost(&self) -> f64 {
        self.writer.usd + self.validator.usd
    }
}

/// Why drafting could not start.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error("the project has no theory to draft tasks on (dataset/theories/)")]
    NoTheory,
    #[error("--min-score {0}: scores run from 1 to 5")]
    MinScore(u8),
}

/// Drafts `request.count` tasks, one after another (each sees the drafts accepted before
/// it, in its stories to avoid and the duplicate checks). `progress` is told each draft's
/// fate as soon as it is known.
pub async fn run(
    models: &Models,
    project: &Project<'_>,
    request: &Request,
    progress: &(dyn Fn(&Draft) + Sync),
) -> Result<Report, DraftError> {
    if !(1..=5).contains(&request.min_score) {
        return Err(DraftError::MinScore(request.min_score));
    }
    let theories: Vec<String> = match &request.theory {
        Some(t) => vec![scaffold::theory(project.ws, t)?.id.clone()],
        None => {
            let mut ids: Vec<String> = project.ws.theory_ids().map(str::to_owned).collect();
            ids.sort();
            ids
        }
    };
    if theories.is_empty() {
        return Err(DraftError::NoTheory);
    }
    let mut session = Session {
        models,
        project,
        request,
        accepted: Vec::new(),
        drafted: Vec::new(),
        known: known_stories(project.ws),
        report: Report::default(),
        date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    };
    for index in 1..=request.count {
        let theory = &theories[(index as usize - 1) % theories.len()];
        let draft = session.one(index, theory).await?;
        progress(&draft);
        session.report.drafts.push(draft);
    }
    Ok(session.report)
}

/// The stories of every task and draft, by path, for the near-duplicate gate.
fn known_stories(ws: &Workspace) -> Vec<(String, Shingles)> {
    ws.tasks()
        .chain(ws.drafts())
        .map(|(doc, task)| (doc.path.clone(), Shingles::of(&similar::story_text(task))))
        .collect()
}

struct Session<'a> {
    models: &'a Models,
    project: &'a Project<'a>,
    request: &'a Request,
    /// Drafts accepted in this session, as written.
    accepted: Vec<Arc<Document>>,
    /// Every clean draft of this session, kept or not: later drafts are asked to differ
    /// from them too, and screened against them.
    drafted: Vec<Task>,
    known: Vec<(String, Shingles)>,
    report: Report,
    date: String,
}

/// Where a draft stands after the writer's rounds.
enum Written {
    Clean {
        doc: Box<Document>,
        repairs: u32,
    },
    /// Never clean (or a call failed): nothing was repaired.
    Rejected {
        id: Option<String>,
        repairs: u32,
        why: Rejection,
    },
}

impl Session<'_> {
    /// The project with this session's accepted drafts, and `extra` when given. A file
    /// already at `extra`'s path is kept under a marked name, so that the checks report
    /// the taken id (`duplicate-task-id`) instead of mistaking it for the draft itself.
    fn workspace(&self, extra: Option<Document>) -> Workspace {
        let taken = extra.as_ref().map(|d| d.path.clone());
        let mut docs: Vec<Arc<Document>> = self
            .project
            .ws
            .documents()
            .iter()
            .chain(&self.accepted)
            .map(|d| {
                if Some(&d.path) == taken.as_ref() {
                    let mut old = (**d).clone();
                    old.path.push_str(" (an existing file)");
                    Arc::new(old)
                } else {
                    Arc::clone(d)
                }
            })
            .collect();
        docs.extend(extra.map(Arc::new));
        Workspace::shared(docs)
    }

    async fn one(&mut self, index: u32, theory_id: &str) -> Result<Draft, DraftError> {
        let mut draft = Draft {
            index,
            theory: theory_id.to_owned(),
            id: None,
            repairs: 0,
            repaired: false,
            verdict: None,
            result: DraftResult::Accepted {
                path: String::new(),
            },
        };
        draft.result = match self.write(index, theory_id).await? {
            Written::Rejected { id, repairs, why } => {
                (draft.id, draft.repairs) = (id, repairs);
                DraftResult::Rejected(why)
            }
            Written::Clean { doc, repairs } => {
                draft.repairs = repairs;
                draft.repaired = repairs > 0;
                draft.id = doc.task().map(|t| t.id.clone());
                match self
                    .gate(theory_id, &doc, repairs, &mut draft.verdict)
                    .await
                {
                    Ok(text) => match self.save(&doc.path, &text) {
                        Ok(()) => {
                            if let Some(last) = self.known.last_mut() {
                                last.0.clone_from(&doc.path);
                            }
                            self.accepted
                                .push(Arc::new(Document::load(&doc.path, &text)));
                            DraftResult::Accepted { path: doc.path }
                        }
                        Err(why) => DraftResult::Rejected(why),
                    },
                    Err(why) => DraftResult::Rejected(why),
                }
            }
        };
        Ok(draft)
    }

    /// The gate after the checks: the near-duplicate screen, then the validator. On
    /// acceptance, the text to write (provenance header and draft).
    async fn gate(
        &mut self,
        theory_id: &str,
        doc: &Document,
        repairs: u32,
        verdict: &mut Option<Verdict>,
    ) -> Result<String, Rejection> {
        let task = doc.task().expect("a clean draft loaded as a task");
        let shingles = Shingles::of(&similar::story_text(task));
        let known = self.known.iter().map(|(p, s)| (p.as_str(), s));
        let duplicate = similar::near_duplicate(&shingles, known)
            .map(|(of, similarity)| (of.to_owned(), similarity));
        // Later drafts are told about this one, and screened against it, kept or not.
        self.drafted.push(task.clone());
        self.known.push((
            format!("an earlier draft of this session ({})", task.id),
            shingles,
        ));
        if let Some((of, similarity)) = duplicate {
            return Err(Rejection::NearDuplicate { of, similarity });
        }
        let (_, theory) = self
            .project
            .ws
            .theory(theory_id)
            .expect("theory resolved before drafting");
        let ask = prompt::validate(self.request.task_type, theory, &doc.text);
        let answer = self.call(Role::Validator, vec![Message::user(ask)]).await?;
        let parsed = parse::verdict(&answer).map_err(|e| Rejection::Unparsable {
            reason: e.to_string(),
        })?;
        let min_score = self.request.min_score;
        let accepted = parsed.accepts(min_score);
        let shortfalls = parsed.shortfalls(min_score);
        let header = self.provenance(&parsed, repairs);
        *verdict = Some(parsed);
        if !accepted {
            return Err(Rejection::Scores {
                min_score,
                shortfalls,
            });
        }
        Ok(header + prompt::without_modeline(&doc.text))
    }

    /// The writer's first answer and its repairs, until clean or out of rounds.
    async fn write(&mut self, index: u32, theory_id: &str) -> Result<Written, DraftError> {
        let ty = self.request.task_type;
        let ws = self.workspace(None);
        let theory = scaffold::theory(&ws, theory_id)?;
        let skeleton = scaffold::new_task(
            &ws,
            &NewTask {
                task_type: ty.as_str(),
                theory: theory_id,
                ..NewTask::default()
            },
        )?;
        let examples = examples(&ws, ty, theory_id, self.report.drafts.len());
        // Accepted drafts are in `ws` already; the others of this session are added.
        let kept: Vec<&str> = ws.drafts().map(|(_, t)| t.id.as_str()).collect();
        let avoid: Vec<(&str, &Task)> = ws
            .tasks()
            .chain(ws.drafts())
            .map(|(_, t)| t)
            .chain(
                self.drafted
                    .iter()
                    .filter(|t| !kept.contains(&t.id.as_str())),
            )
            .map(|t| (t.title.as_str(), t))
            .collect();
        let draft = format!("{index} of {}", self.request.count);
        let first = prompt::write(&prompt::WriteInput {
            draft: &draft,
            task_type: ty,
            theory,
            examples: &examples,
            avoid: &avoid,
            skeleton: &skeleton.text,
        });
        let mut messages = vec![Message::user(first)];
        let mut repairs = 0;
        loop {
            let answer = match self.call(Role::Writer, messages.clone()).await {
                Ok(answer) => answer,
                Err(why) => {
                    return Ok(Written::Rejected {
                        id: None,
                        repairs,
                        why,
                    });
                }
            };
            let yaml = parse::draft_yaml(&answer);
            let probe = Document::load(&draft_path(ty, None, index), &yaml);
            let path = draft_path(ty, probe.value.as_ref(), index);
            let doc = if path == probe.path {
                probe
            } else {
                Document::load(&path, &yaml)
            };
            let id = doc.task().map(|t| t.id.clone());
            let path = doc.path.clone();
            let ws = self.workspace(Some(doc));
            let doc = ws.document(&path).expect("just added");
            let findings: Vec<Diagnostic> = check::diagnostics(&ws, doc)
                .into_iter()
                .filter(|d| matches!(d.severity, Severity::Error | Severity::Warning))
                .collect();
            if findings.is_empty() {
                return Ok(Written::Clean {
                    doc: Box::new(doc.clone()),
                    repairs,
                });
            }
            let report = check_text::render(&ws, doc, &findings);
            if repairs == self.request.repair_rounds {
                return Ok(Written::Rejected {
                    id,
                    repairs,
                    why: Rejection::StillInvalid {
                        rounds: repairs,
                        findings: findings.len(),
                        report,
                    },
                });
            }
            repairs += 1;
            messages.push(Message::assistant(answer));
            messages.push(Message::user(prompt::repair(
                &report,
                repairs,
                self.request.repair_rounds,
            )));
        }
    }

    async fn call(&mut self, role: Role, messages: Vec<Message>) -> Result<String, Rejection> {
        let model = match role {
            Role::Writer => &self.models.writer,
            Role::Validator => &self.models.validator,
        };
        let failed = |e: CallError| Rejection::CallFailed {
            role: role.as_str(),
            error: e.to_string(),
        };
        let request = model
            .request(messages, TokenBudget::default(), role == Role::Validator)
            .map_err(failed)?;
        let completion = model.call(&request).await.map_err(failed)?;
        match role {
            Role::Writer => self.report.writer.add(&completion),
            Role::Validator => self.report.validator.add(&completion),
        }
        Ok(completion.text)
    }

    /// The header of an accepted draft: where it came from and how it scored.
    fn provenance(&self, verdict: &Verdict, repairs: u32) -> String {
        let ty = self.request.task_type.as_str();
        let (w, v) = (&self.models.writer, &self.models.validator);
        let simulated = if w.simulated() || v.simulated() {
            "\n# SIMULATED by the offline `sim` provider: a demo, not a real model's draft."
        } else {
            ""
        };
        format!(
            "{TASK_MODELINE}\n\
             # Drafted by `fabula draft`.{simulated}\n\
             # Not part of runs: review it, then move it to dataset/tasks/{ty}/ to add it.\n\
             # model: {} ({}); validator: {} ({})\n\
             # scores: {verdict} (accepted at {} or more)\n\
             # repair rounds: {repairs}; date: {}\n",
            w.name, w.config.model, v.name, v.config.model, self.request.min_score, self.date
        )
    }

    /// Writes `text` to `path` (project-relative) without ever replacing a file: a
    /// hidden temporary file, then a hard link that fails if the name is taken.
    fn save(&self, path: &str, text: &str) -> Result<(), Rejection> {
        let target = self.project.root.join(path);
        let fail = |what: &str, e: std::io::Error| Rejection::Write(format!("{what} {path}: {e}"));
        let dir = target.parent().unwrap_or(self.project.root);
        std::fs::create_dir_all(dir).map_err(|e| fail("failed to create the folder of", e))?;
        let name = target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let temp: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = std::fs::File::create(&temp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&temp, &target));
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Rejection::Write(
                format!("{path} already exists; the draft was not written over it"),
            )),
            Err(e) => Err(fail("failed to write", e)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Writer,
    Validator,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Validator => "validator",
        }
    }
}

/// `dataset/drafts/<type>/<id>.yaml`, with the id the draft gives itself when it is a
/// valid one, else `draft-<index>` (the checks then report the id itself).
fn draft_path(ty: TaskType, value: Option<&serde_json::Value>, index: u32) -> String {
    let id = value
        .and_then(|v| v.get("id")?.as_str().map(str::to_owned))
        .filter(|id| scaffold::valid_id(id))
        .unwrap_or_else(|| format!("draft-{index}"));
    format!("dataset/drafts/{}/{id}.yaml", ty.as_str())
}

/// Up to two tasks of type `ty` as examples: those on `theory` first, then the others,
/// each group by path; which two turns with `turn`, so that drafts see different ones.
fn examples<'w>(ws: &'w Workspace, ty: TaskType, theory: &str, turn: usize) -> Vec<&'w Document> {
    let mut same: Vec<&Document> = Vec::new();
    let mut other: Vec<&Document> = Vec::new();
    for (doc, task) in ws.tasks().filter(|(_, t)| t.task_type() == ty) {
        if task.theory == theory {
            same.push(doc);
        } else {
            other.push(doc);
        }
    }
    let rotate = |list: &mut Vec<&Document>| {
        if !list.is_empty() {
            let n = turn % list.len();
            list.rotate_left(n);
        }
    };
    rotate(&mut same);
    rotate(&mut other);
    same.into_iter().chain(other).take(2).collect()
}

//! A task ready to run: the parsed task, its theories and its effective token budget.

use fabula_core::document::Document;
use fabula_core::kind::TaskInput;
use fabula_core::model::{Config, Task, TaskBody, Theory, TokenBudget};
use fabula_core::workspace::Workspace;

#[derive(Clone, Debug)]
pub struct PreparedTask {
    pub task: Task,
    pub theory: Theory,
    pub source_theory: Option<Theory>,
    pub budget: TokenBudget,
}

impl PreparedTask {
    pub fn input<'a>(&'a self, slop: &'a [String]) -> TaskInput<'a> {
        TaskInput {
            task: &self.task,
            theory: &self.theory,
            source_theory: self.source_theory.as_ref(),
            slop,
            budget: self.budget,
        }
    }

    pub fn id(&self) -> &str {
        &self.task.id
    }
}

/// Prepares every task of the workspace whose theory (and source theory) is loaded.
pub fn tasks(ws: &Workspace, config: &Config) -> Vec<PreparedTask> {
    ws.tasks()
        .filter_map(|(doc, _)| prepare(ws, config, doc))
        .collect()
}

/// Prepares the task of one document, if it loaded and its theories are in `ws`. The
/// token budget is the task's own, field by field over its type's in `fabula.yaml`.
pub fn prepare(ws: &Workspace, config: &Config, doc: &Document) -> Option<PreparedTask> {
    let task = doc.task()?;
    let (_, theory) = ws.theory(&task.theory)?;
    let source_theory = match &task.body {
        TaskBody::TheoryConversion(t) => Some(ws.theory(&t.source.theory)?.1.clone()),
        _ => None,
    };
    let by_type = config
        .settings
        .budgets
        .get(&task.task_type())
        .copied()
        .unwrap_or_default();
    let own = task.budget.unwrap_or_default();
    let budget = TokenBudget {
        max_tokens: own.max_tokens.or(by_type.max_tokens),
        max_reasoning: own.max_reasoning.or(by_type.max_reasoning),
    };
    Some(PreparedTask {
        task: task.clone(),
        theory: theory.clone(),
        source_theory,
        budget,
    })
}

//! What the core's integration tests share: the shipped project, loaded from disk.

#![allow(dead_code, reason = "each test file uses its own part")]

use fabula_core::document::Document;
use fabula_core::kind::TaskInput;
use fabula_core::model::{Task, TaskBody, Theory, TokenBudget};
use fabula_core::workspace::Workspace;
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn load_project() -> Workspace {
    let root = repo_root();
    let mut files = vec![root.join("fabula.yaml")];
    let mut stack = vec![root.join("dataset")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    let docs = files
        .iter()
        .map(|f| {
            let name = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            Document::from_bytes(&name, &std::fs::read(f).unwrap())
        })
        .collect();
    Workspace::new(docs)
}

/// The slop phrases of the shipped project.
pub fn slop(ws: &Workspace) -> Vec<String> {
    ws.documents()
        .iter()
        .find_map(|d| match &d.model {
            Some(fabula_core::document::Model::Slop(s)) => Some(s.phrases.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// A task with its theories, ready to render.
pub struct Loaded {
    pub task: Task,
    pub theory: Theory,
    pub source: Option<Theory>,
}

impl Loaded {
    pub fn input<'a>(&'a self, slop: &'a [String]) -> TaskInput<'a> {
        TaskInput {
            task: &self.task,
            theory: &self.theory,
            source_theory: self.source.as_ref(),
            slop,
            budget: TokenBudget::default(),
        }
    }
}

/// Every task of the shipped dataset, sorted by id.
pub fn tasks(ws: &Workspace) -> Vec<Loaded> {
    let mut out: Vec<Loaded> = ws
        .tasks()
        .map(|(_, t)| Loaded {
            task: t.clone(),
            theory: ws.theory(&t.theory).expect("theory loads").1.clone(),
            source: match &t.body {
                TaskBody::TheoryConversion(c) => {
                    Some(ws.theory(&c.source.theory).unwrap().1.clone())
                }
                _ => None,
            },
        })
        .collect();
    out.sort_by(|a, b| a.task.id.cmp(&b.task.id));
    out
}

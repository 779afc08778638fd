//! A set of loaded documents and the indexes that cross-file checks need (theories by id,
//! tasks by id). Built from texts the caller read; the core reads no files itself.
//!
//! Drafts (`dataset/drafts/`, see [`Document::is_draft`]) are indexed apart: they are
//! checked, but [`Workspace::tasks`] (what a run takes) and the task-id index leave them
//! out, so a draft never runs and never makes a real task's id a duplicate.

use crate::document::Document;
use crate::model::{Config, Task, Theory};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Workspace {
    docs: Vec<Arc<Document>>,
    theories: HashMap<String, usize>,
    tasks: HashMap<String, Vec<usize>>,
    drafts: HashMap<String, Vec<usize>>,
    config: Option<usize>,
}

impl Workspace {
    /// Indexes `docs` (kept in path order, so results do not depend on input order).
    pub fn new(docs: Vec<Document>) -> Workspace {
        Workspace::shared(docs.into_iter().map(Arc::new).collect())
    }

    /// Indexes documents that are shared with others (a language server keeps each loaded
    /// document once and builds workspaces of them as often as it needs).
    pub fn shared(mut docs: Vec<Arc<Document>>) -> Workspace {
        docs.sort_by(|a, b| a.path.cmp(&b.path));
        let mut ws = Workspace {
            docs,
            ..Workspace::default()
        };
        for (i, doc) in ws.docs.iter().enumerate() {
            if let Some(theory) = doc.theory() {
                ws.theories.entry(theory.id.clone()).or_insert(i);
            }
            if let Some(task) = doc.task() {
                let index = if doc.is_draft() {
                    &mut ws.drafts
                } else {
                    &mut ws.tasks
                };
                index.entry(task.id.clone()).or_default().push(i);
            }
            if doc.config().is_some() && ws.config.is_none() {
                ws.config = Some(i);
            }
        }
        ws
    }

    pub fn documents(&self) -> &[Arc<Document>] {
        &self.docs
    }

    pub fn document(&self, path: &str) -> Option<&Document> {
        self.docs.iter().find(|d| d.path == path).map(|d| &**d)
    }

    pub fn theory(&self, id: &str) -> Option<(&Document, &Theory)> {
        let doc = &self.docs[*self.theories.get(id)?];
        Some((doc, doc.theory()?))
    }

    /// Whether a theory file named `<id>.yaml` exists, loaded or not (a theory with
    /// errors of its own should not also be reported as unknown by every task using it).
    pub fn has_theory_file(&self, id: &str) -> bool {
        self.docs
            .iter()
            .any(|d| d.kind == Some(crate::schema::SchemaKind::Theory) && d.stem() == id)
    }

    pub fn theory_ids(&self) -> impl Iterator<Item = &str> {
        self.theories.keys().map(String::as_str)
    }

    /// Every task of the benchmark (drafts excluded).
    pub fn tasks(&self) -> impl Iterator<Item = (&Document, &Task)> {
        self.docs
            .iter()
            .filter(|d| !d.is_draft())
            .filter_map(|d| Some((&**d, d.task()?)))
    }

    /// Every drafted task (`dataset/drafts/`), not part of runs.
    pub fn drafts(&self) -> impl Iterator<Item = (&Document, &Task)> {
        self.docs
            .iter()
            .filter(|d| d.is_draft())
            .filter_map(|d| Some((&**d, d.task()?)))
    }

    /// Every document holding a task with this id (drafts excluded).
    pub fn tasks_with_id(&self, id: &str) -> impl Iterator<Item = &Document> {
        self.with_id(&self.tasks, id)
    }

    /// Every draft holding a task with this id.
    pub fn drafts_with_id(&self, id: &str) -> impl Iterator<Item = &Document> {
        self.with_id(&self.drafts, id)
    }

    fn with_id<'s>(
        &'s self,
        index: &'s HashMap<String, Vec<usize>>,
        id: &str,
    ) -> impl Iterator<Item = &'s Document> {
        index.get(id).into_iter().flatten().map(|&i| &*self.docs[i])
    }

    pub fn config(&self) -> Option<(&Document, &Config)> {
        let doc = &self.docs[self.config?];
        Some((doc, doc.config()?))
    }
}

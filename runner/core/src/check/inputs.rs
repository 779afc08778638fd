//! Which documents a document's semantic checks read, derived from the checks'
//! declarations ([`super::Reads`]). A language server re-checks a file only when one of
//! these changed; since a check's [`super::Context`] answers only what it declared,
//! checking a document against exactly these documents gives what checking it against
//! the whole workspace gives.

use super::{CHECKS, Reads, Tasks};
use crate::document::Document;
use crate::model::TaskType;
use crate::schema::SchemaKind;
use crate::workspace::Workspace;
use std::collections::HashMap;
use std::sync::Arc;

/// A workspace's documents grouped the ways checks read them; built once per workspace.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Every theory file, loaded or not (a check may ask whether one exists).
    theories: Vec<Arc<Document>>,
    config: Vec<Arc<Document>>,
    by_task_id: HashMap<String, Vec<Arc<Document>>>,
    by_task_type: HashMap<TaskType, Vec<Arc<Document>>>,
}

impl Inputs {
    pub fn new(ws: &Workspace) -> Inputs {
        let mut out = Inputs::default();
        for doc in ws.documents() {
            match doc.kind {
                Some(SchemaKind::Theory) => out.theories.push(doc.clone()),
                Some(SchemaKind::Config) if doc.config().is_some() => {
                    out.config.push(doc.clone());
                }
                Some(SchemaKind::Task) => {
                    if let Some(task) = doc.task() {
                        out.by_task_id
                            .entry(task.id.clone())
                            .or_default()
                            .push(doc.clone());
                        out.by_task_type
                            .entry(task.task_type())
                            .or_default()
                            .push(doc.clone());
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The documents `doc`'s checks read, `doc` first; each once.
    pub fn of(&self, doc: &Arc<Document>) -> Vec<Arc<Document>> {
        let mut out = vec![doc.clone()];
        if doc.model.is_none() {
            // Semantic checks do not run on a document that did not load.
            return out;
        }
        let mut add = |docs: &[Arc<Document>]| {
            for d in docs {
                if !out.iter().any(|o| Arc::ptr_eq(o, d)) {
                    out.push(d.clone());
                }
            }
        };
        for check in CHECKS.iter().filter(|c| c.on.matches(doc)) {
            let Reads {
                theories,
                config,
                same_id,
                tasks,
            } = check.reads;
            if theories {
                add(&self.theories);
            }
            if config {
                add(&self.config);
            }
            if same_id && let Some(task) = doc.task() {
                add(self.by_task_id.get(&task.id).map_or(&[], Vec::as_slice));
            }
            match tasks {
                Tasks::None => {}
                Tasks::All => {
                    for docs in self.by_task_type.values() {
                        add(docs);
                    }
                }
                Tasks::Of(types) => {
                    for ty in types {
                        add(self.by_task_type.get(ty).map_or(&[], Vec::as_slice));
                    }
                }
            }
        }
        out
    }
}

//! Editor features over the core's types, in byte offsets: what is under the cursor,
//! hover text, completion, definitions, references, outline, code lens titles. No
//! protocol types here; handlers convert.

pub mod completion;
pub mod fixes;
pub mod hover;
pub mod lens;
pub mod navigate;
pub mod symbols;

use fabula_core::document::Document;
use fabula_core::path::Path;
use fabula_core::text::TextRange;
use fabula_core::workspace::Workspace;

/// What a reference under the cursor names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Beat { theory: String, beat: String },
    Theory(String),
    TaskId(String),
}

/// The reference at `offset`, with the range of its token.
pub fn target_at(doc: &Document, offset: u32) -> Option<(Target, TextRange)> {
    let spans = doc.spans()?;
    let hit = |path: &Path| {
        let (node, found) = spans.find(path);
        (found && node.value.contains(offset)).then_some(node.value)
    };
    if let Some(task) = doc.task() {
        if let Some(r) = hit(&fabula_core::path!["id"]) {
            return Some((Target::TaskId(task.id.clone()), r));
        }
        for (name, path) in task.theory_uses() {
            if let Some(r) = hit(&path) {
                return Some((Target::Theory(name.to_owned()), r));
            }
        }
        for use_ in task.beat_uses() {
            if let Some(r) = hit(&use_.path) {
                let target = Target::Beat {
                    theory: use_.theory.to_owned(),
                    beat: use_.beat.to_owned(),
                };
                return Some((target, r));
            }
        }
    }
    if let Some(theory) = doc.theory() {
        if let Some(r) = hit(&fabula_core::path!["id"]) {
            return Some((Target::Theory(theory.id.clone()), r));
        }
        for (i, beat) in theory.beats.iter().enumerate() {
            if let Some(r) = hit(&fabula_core::path!["beats", i, "id"]) {
                let target = Target::Beat {
                    theory: theory.id.clone(),
                    beat: beat.id.clone(),
                };
                return Some((target, r));
            }
        }
    }
    None
}

/// Where a target is defined: the theory file, at the beat's id (or the theory's).
pub fn definition(ws: &Workspace, target: &Target) -> Option<(String, TextRange)> {
    match target {
        Target::Theory(id) => {
            let (doc, _) = ws.theory(id)?;
            let r = doc.spans()?.value_range(&fabula_core::path!["id"]);
            Some((doc.path.clone(), r))
        }
        Target::Beat { theory, beat } => {
            let (doc, t) = ws.theory(theory)?;
            let i = t.beats.iter().position(|b| &b.id == beat)?;
            let r = doc
                .spans()?
                .value_range(&fabula_core::path!["beats", i, "id"]);
            Some((doc.path.clone(), r))
        }
        Target::TaskId(_) => None,
    }
}

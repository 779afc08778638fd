//! Find references: every place in the workspace that names a beat or a theory.

use super::Target;
use fabula_core::text::TextRange;
use fabula_core::workspace::Workspace;

/// Every use of `target` across the tasks, plus its definition when asked.
pub fn references(
    ws: &Workspace,
    target: &Target,
    include_declaration: bool,
) -> Vec<(String, TextRange)> {
    let mut out = Vec::new();
    if include_declaration && let Some(def) = super::definition(ws, target) {
        out.push(def);
    }
    for (doc, task) in ws.tasks() {
        let Some(spans) = doc.spans() else { continue };
        match target {
            Target::Beat { theory, beat } => {
                for u in task.beat_uses() {
                    if u.theory == theory && u.beat == beat {
                        out.push((doc.path.clone(), spans.value_range(&u.path)));
                    }
                }
            }
            Target::Theory(id) => {
                for (name, path) in task.theory_uses() {
                    if name == id {
                        out.push((doc.path.clone(), spans.value_range(&path)));
                    }
                }
            }
            Target::TaskId(id) => {
                if &task.id == id {
                    let r = spans.value_range(&fabula_core::path!["id"]);
                    out.push((doc.path.clone(), r));
                }
            }
        }
    }
    out
}

//! `missing-role`: the dataset has constraint-discovery tasks but `fabula.yaml` names no
//! `oracle`, or critique-improvement tasks but no `critic`.
//!
//! Why: those task types cannot run without the model that answers questions or writes
//! critiques; every run of them would fail.

use super::{Check, Context, On, Reads, Tasks};
use crate::diagnostic::Diagnostic;
use crate::model::TaskType;
use crate::path;

pub const CHECK: Check = Check {
    code: "missing-role",
    doc: "Constraint-discovery tasks need an `oracle`, critique-improvement tasks a `critic`, named in fabula.yaml.",
    on: On::CONFIG,
    reads: Reads {
        tasks: Tasks::Of(&[
            TaskType::AgenticConstraintDiscovery,
            TaskType::CritiqueImprovement,
        ]),
        ..Reads::NOTHING
    },
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(config) = cx.config() else { return };
    let tasks = cx.tasks();
    let has = |ty: TaskType| tasks.iter().any(|(_, t)| t.task_type() == ty);
    let roles = [
        (
            "oracle",
            config.oracle.is_some(),
            TaskType::AgenticConstraintDiscovery,
        ),
        (
            "critic",
            config.critic.is_some(),
            TaskType::CritiqueImprovement,
        ),
    ];
    for (role, present, ty) in roles {
        if !present && has(ty) {
            out.push(Diagnostic::error(
                CHECK.code,
                cx.key(&path!["judges"]),
                format!("the dataset has {ty} tasks but no `{role}` is named"),
            ));
        }
    }
}

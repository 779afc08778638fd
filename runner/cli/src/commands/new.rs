//! `fabula new TYPE --theory T [--id ID]`: writes a task skeleton (`fabula_core::scaffold`)
//! to `dataset/tasks/<type>/<id>.yaml`. Never overwrites a file.

use crate::Outcome;
use crate::args::NewArgs;
use fabula_core::scaffold::{self, NewTask};
use fabula_core::workspace::Workspace;
use std::io::Write as _;

pub fn run(args: &NewArgs) -> anyhow::Result<Outcome> {
    let root = crate::project::root(&args.project)?;
    let ws = Workspace::new(crate::project::load(&crate::project::project_files(&root)?));
    let skeleton = fabula_engine::project::add_task(
        &root,
        &ws,
        &NewTask {
            task_type: &args.task_type,
            theory: &args.theory,
            id: args.id.as_deref(),
            source_theory: args.source_theory.as_deref(),
        },
    )?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "wrote {}: fill in its {} `{}` placeholders; `fabula check {}` lists what is left",
        skeleton.path,
        skeleton.placeholders,
        scaffold::PLACEHOLDER,
        skeleton.path
    )?;
    Ok(Outcome::Success)
}

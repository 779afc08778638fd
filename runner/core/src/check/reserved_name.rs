//! `reserved-name`: a model config in `fabula.yaml` is named like a Windows device (`con`,
//! `NUL`, `com1`, `lpt9`, in any case, with or without an extension) or ends in a dot.
//!
//! Why: result files are named after models and judges, and a results folder is meant to
//! be copied between machines. Windows cannot create a file named after a device, and it
//! drops trailing dots, so the store has to rename such folders (`_con`), and the folder
//! no longer reads as the model's name.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::file_name::{self, NameProblem};
use crate::path;

pub const CHECK: Check = Check {
    code: "reserved-name",
    doc: "A model name is a Windows device name (con, nul, aux, prn, com0-9, lpt0-9, any case, any extension) or ends in a dot: it cannot be a file name everywhere, so its results folder gets another name.",
    on: On::CONFIG,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(config) = cx.config() else { return };
    for name in config.models.keys() {
        let why = match file_name::problem(name) {
            Some(NameProblem::Reserved) => "is a device name reserved on Windows",
            Some(NameProblem::TrailingDotOrSpace) => "ends in a dot, which Windows drops",
            None => continue,
        };
        out.push(Diagnostic::warning(
            CHECK.code,
            cx.key(&path!["models", name.as_str()]),
            format!(
                "model name `{name}` {why}; files named after it are not portable, so its results folder is renamed"
            ),
        ));
    }
}

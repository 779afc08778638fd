//! `beat-order`: a list of beats that is not in the theory's order, or repeats a beat.
//!
//! Why: beats are a sequence; asking for the midpoint before the catalyst asks for a
//! different story than the theory describes, and judges score order.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;

pub const CHECK: Check = Check {
    code: "beat-order",
    doc: "Beats listed out of the theory's order, or repeated; a theory is a sequence and judges score the order.",
    on: On::TASKS,
    reads: Reads::THEORIES,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    for list in task.ordered_beat_lists() {
        let Some((_, theory)) = cx.theory_by_id(list.theory) else {
            continue;
        };
        let mut last: Option<(usize, &str)> = None;
        for (beat, at) in list.items {
            let Some(pos) = theory.position(beat) else {
                continue;
            };
            if let Some((prev_pos, prev)) = last {
                if pos == prev_pos {
                    out.push(Diagnostic::error(
                        CHECK.code,
                        cx.value(&at),
                        format!("beat `{beat}` is repeated"),
                    ));
                    continue;
                }
                if pos < prev_pos {
                    out.push(Diagnostic::error(
                        CHECK.code,
                        cx.value(&at),
                        format!(
                            "beat `{beat}` comes before `{prev}` in {}; list beats in story order",
                            theory.name
                        ),
                    ));
                    continue;
                }
            }
            last = Some((pos, beat));
        }
    }
}

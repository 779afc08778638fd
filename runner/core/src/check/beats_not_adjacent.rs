//! `beats-not-adjacent`: beat interpolation and multi-beat synthesis need consecutive
//! beats of the theory, and these are not.
//!
//! Why: interpolation asks for *the* missing beat between two others, and synthesis tests
//! planning across a contiguous stretch; a gap makes the task ambiguous.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;

pub const CHECK: Check = Check {
    code: "beats-not-adjacent",
    doc: "Beat interpolation (before, target, after) and multi-beat synthesis need consecutive beats of the theory; a gap makes the task ambiguous.",
    on: On::TASKS,
    reads: Reads::THEORIES,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    if !matches!(
        task.body,
        TaskBody::BeatInterpolation(_) | TaskBody::MultiBeatSynthesis(_)
    ) {
        return;
    }
    let Some((_, theory)) = cx.theory_by_id(&task.theory) else {
        return;
    };
    for list in task.ordered_beat_lists() {
        let items = list.items;
        let positions: Vec<Option<usize>> = items.iter().map(|(b, _)| theory.position(b)).collect();
        for (i, pair) in positions.windows(2).enumerate() {
            let (Some(a), Some(b)) = (pair[0], pair[1]) else {
                continue;
            };
            // Order problems are beat-order's; only report gaps here.
            if b > a + 1 {
                let skipped: Vec<&str> = theory.beats[a + 1..b]
                    .iter()
                    .map(|b| b.id.as_str())
                    .collect();
                out.push(Diagnostic::error(
                    CHECK.code,
                    cx.value(&items[i + 1].1),
                    format!(
                        "`{}` does not follow `{}` directly in {}: {} lies between",
                        items[i + 1].0,
                        items[i].0,
                        theory.name,
                        skipped.join(", ")
                    ),
                ));
            }
        }
    }
}

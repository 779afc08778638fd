//! The code lens of a task: "▶ Run · model-a 82.0 · model-b 74.3 (3 judges)", or, when a
//! run would be refused, why: "Run: fix 2 errors first". Every task file gets one, parsed
//! or not, so the lens never appears or disappears with the kind of error.

use fabula_eval::scores::ModelScore;

/// The lens title. `errors` is the task file's error count (a run refuses a task with
/// errors). Scores are final scores on 0..=100 (the one scale), a `*` marks a stale one,
/// the judge count is the most any shown score has.
pub fn title(scores: &[ModelScore], errors: usize) -> String {
    let mut title = match errors {
        0 => String::from("▶ Run"),
        1 => String::from("Run: fix 1 error first"),
        n => format!("Run: fix {n} errors first"),
    };
    let mut judges = 0;
    for s in scores {
        let Some(f) = s.final_score else { continue };
        title.push_str(&format!(
            " · {} {:.1}{}",
            s.model,
            f,
            if s.stale { "*" } else { "" }
        ));
        judges = judges.max(s.judges.len());
    }
    if judges > 0 {
        title.push_str(&format!(
            " ({judges} judge{})",
            if judges == 1 { "" } else { "s" }
        ));
    }
    title
}

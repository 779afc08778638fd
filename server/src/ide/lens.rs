//! The code lens of a task: "▶ Run · model-a 0.82 · model-b 0.74 (3 judges)".

use fabula_engine::scores::ModelScore;

/// The lens title. Scores are final scores on 0..=1 with two decimals, a `*` marks a
/// stale one, the judge count is the most any shown score has.
pub fn title(scores: &[ModelScore]) -> String {
    let mut title = String::from("▶ Run");
    let mut judges = 0;
    for s in scores {
        let Some(f) = s.final_score else { continue };
        title.push_str(&format!(
            " · {} {:.2}{}",
            s.model,
            f / 100.0,
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

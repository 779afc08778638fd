//! `fabula clean-failed`: delete failed records so the next run retries them.

use super::session::Session;
use crate::Outcome;
use crate::args::CleanFailedArgs;
use anyhow::Context as _;
use fabula_core::model::Status;
use std::io::Write;

pub fn run(args: &CleanFailedArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let _lock = session.store.lock()?;
    let loaded = session.store.load();
    let wanted = |m: &str| args.models.is_empty() || args.models.iter().any(|x| x == m);
    let mut removed = (0, 0);
    for (path, g) in &loaded.generations {
        if g.status == Status::Failed && wanted(&g.model) {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            removed.0 += 1;
        }
    }
    for (path, e) in &loaded.evaluations {
        if e.status == Status::Failed && wanted(&e.model) {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            removed.1 += 1;
        }
    }
    let mut pairs = 0;
    for (path, r) in &loaded.pairwise {
        if r.status == Status::Failed && (wanted(&r.first.model) || wanted(&r.second.model)) {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            pairs += 1;
        }
    }
    writeln!(
        std::io::stdout(),
        "Removed {} failed generation(s) and {} failed evaluation(s); `fabula run` retries them.",
        removed.0,
        removed.1
    )?;
    if pairs > 0 {
        writeln!(
            std::io::stdout(),
            "Removed {pairs} failed pairwise comparison(s); `fabula compare --pairwise` retries them."
        )?;
    }
    Ok(Outcome::Success)
}

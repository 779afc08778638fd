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
    writeln!(
        std::io::stdout(),
        "Removed {} failed generation(s) and {} failed evaluation(s); `fabula run` retries them.",
        removed.0,
        removed.1
    )?;
    Ok(Outcome::Success)
}

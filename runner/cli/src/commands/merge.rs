//! `fabula merge SRC… [--into DIR]`: join results folders (shard artifacts) into one,
//! under the destination's write lock; the engine verifies and copies, this prints what
//! it did.

use crate::Outcome;
use crate::args::MergeArgs;
use crate::project;
use crate::render::plural;
use anyhow::{Context as _, bail};
use fabula_engine::merge::{self, MergeReport};
use fabula_engine::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many paths each list shows before "… and N more".
const SHOWN: usize = 10;

pub fn run(args: &MergeArgs) -> anyhow::Result<Outcome> {
    let into = match (&args.into, &args.project.root) {
        (Some(into), _) => into.clone(),
        (None, Some(root)) if !root.join("fabula.yaml").is_file() => {
            bail!("--root {}: no fabula.yaml there", root.display())
        }
        (None, Some(root)) => root.join("results"),
        (None, None) => project::find_root(&std::env::current_dir()?)
            .context("no fabula.yaml in this folder or above; pass --into DIR or --root DIR")?
            .join("results"),
    };
    let store = Store::new(&into);
    let lock = store.lock()?;
    let report = merge::merge(&store, &lock, &args.sources)?;
    drop(lock);
    print(&mut std::io::stdout().lock(), &report, &args.sources, &into)?;
    Ok(if report.has_findings() {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

fn print(
    out: &mut impl Write,
    report: &MergeReport,
    sources: &[PathBuf],
    into: &Path,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Merged {} into {}: {} copied, {} already there.",
        plural(sources.len(), "folder"),
        into.display(),
        plural(report.copied.len(), "record"),
        report.identical
    )?;
    let shown = |p: &PathBuf| p.display().to_string();
    let sections = [
        (
            format!(
                "{} (same name, different content; the record in {} is kept)",
                plural(report.conflicts.len(), "conflict"),
                into.display()
            ),
            report
                .conflicts
                .iter()
                .map(|c| format!("{}  (from {})", c.name.display(), c.source.display()))
                .collect::<Vec<_>>(),
        ),
        (
            format!(
                "{} not copied",
                plural(report.invalid.len(), "invalid record")
            ),
            report
                .invalid
                .iter()
                .map(|(path, why)| format!("{}: {why}", path.display()))
                .collect(),
        ),
        (
            format!(
                "Not copied: {} of provider batches not collected yet (run `fabula run --batch` on that store, then merge again)",
                plural(report.batch_files.len(), "batch file")
            ),
            report.batch_files.iter().map(shown).collect(),
        ),
        (
            format!(
                "Ignored {} of interrupted writes",
                plural(report.temporaries.len(), "temporary file")
            ),
            report.temporaries.iter().map(shown).collect(),
        ),
        (
            format!(
                "Ignored {} (never followed)",
                plural(report.links.len(), "symbolic link")
            ),
            report.links.iter().map(shown).collect(),
        ),
    ];
    for (title, lines) in sections.iter().filter(|(_, lines)| !lines.is_empty()) {
        writeln!(out, "\n{title}:")?;
        for line in lines.iter().take(SHOWN) {
            writeln!(out, "  {line}")?;
        }
        if lines.len() > SHOWN {
            writeln!(out, "  … and {} more", lines.len() - SHOWN)?;
        }
    }
    Ok(())
}

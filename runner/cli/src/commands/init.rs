//! `fabula init [DIR]`: a new benchmark project that runs at once on the offline `sim`
//! models. The theories, the slop list, the example tasks and the schemas are the
//! repository's own files, embedded at build time (`include_str!` of the very files), so
//! a new project can never drift from the shipped dataset; `fabula.yaml`, the README and
//! `.gitignore` are starter files in `runner/cli/templates/init/`.

use crate::Outcome;
use crate::args::InitArgs;
use anyhow::{Context as _, bail};
use std::io::Write as _;

/// A file of the shipped repository, embedded: `(path in the repository and in the new
/// project, text)`.
macro_rules! shipped {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../../../", $path)))),*]
    };
}

/// The repository files a new project starts with.
const SHIPPED: &[(&str, &str)] = shipped!(
    "dataset/slop.yaml",
    "dataset/theories/freytag.yaml",
    "dataset/theories/heros_journey.yaml",
    "dataset/theories/save_the_cat.yaml",
    "dataset/theories/story_circle.yaml",
    "dataset/theories/three_act.yaml",
    // One example per task type; the beat revision is a flawless control, so the
    // project passes `no-control-task`.
    "dataset/tasks/beat_interpolation/night-market-break.yaml",
    "dataset/tasks/beat_revision/blue-door-control.yaml",
    "dataset/tasks/constrained_continuation/bellringer-pyramid.yaml",
    "dataset/tasks/theory_conversion/market-three-to-pyramid.yaml",
    "dataset/tasks/multi_beat_synthesis/ghost-kitchen-fun.yaml",
    "dataset/tasks/sequence/clockmaker-sequence.yaml",
    "dataset/tasks/agentic_constraint_discovery/ferry-hidden-rules.yaml",
    "dataset/tasks/agentic_planning_execution/apprentice-smith-journey.yaml",
    "dataset/tasks/agentic_iterative_revision/beekeeper-iterate.yaml",
    "dataset/tasks/critique_improvement/glacier-critique.yaml",
    // The modelines (`$schema=../../../schema/task.schema.json`) resolve to these.
    "schema/README.md",
    "schema/task.schema.json",
    "schema/theory.schema.json",
    "schema/fabula.schema.json",
    "schema/slop.schema.json",
    "schema/result.schema.json",
);

/// The starter files of a new project: `(path in the project, text)`.
const STARTER: &[(&str, &str)] = &[
    (
        "fabula.yaml",
        include_str!("../../templates/init/fabula.yaml"),
    ),
    ("README.md", include_str!("../../templates/init/README.md")),
    (".gitignore", include_str!("../../templates/init/gitignore")),
];

/// Every file of a new project, starter files first.
fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    STARTER.iter().chain(SHIPPED).copied()
}

pub fn run(args: &InitArgs) -> anyhow::Result<Outcome> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()?,
    };
    if dir.exists() && !dir.is_dir() {
        bail!("{} exists and is not a folder", dir.display());
    }
    let existing: Vec<String> = files()
        .map(|(path, _)| path)
        .filter(|path| dir.join(path).exists())
        .map(str::to_owned)
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already has {} of the files a new project needs; nothing was written (init never overwrites):\n  {}",
            dir.display(),
            existing.len(),
            existing.join("\n  ")
        );
    }
    let mut written = 0;
    for (path, text) in files() {
        let target = dir.join(path);
        fabula_engine::project::create_new(&target, text)
            .with_context(|| format!("failed to create {}", target.display()))?;
        written += 1;
    }
    let mut stdout = std::io::stdout().lock();
    let shown = dir.display();
    writeln!(
        stdout,
        "created a Fabula project in {shown}: {written} files (fabula.yaml, 5 theories, 10 example tasks, schemas)"
    )?;
    writeln!(stdout, "next:")?;
    if args.dir.is_some() {
        writeln!(stdout, "  cd {shown}")?;
    }
    writeln!(
        stdout,
        "  fabula run                                  run it offline on the simulated models"
    )?;
    writeln!(
        stdout,
        "  fabula new sequence --theory three_act      a task skeleton to fill in"
    )?;
    writeln!(
        stdout,
        "  fabula draft --type sequence --count 3 --model M --validator J   model-drafted tasks"
    )?;
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fabula_core::document::Document;
    use fabula_core::model::TaskType;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn repo() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn embedded_files_are_the_repository_files() {
        for (path, text) in SHIPPED {
            let on_disk = std::fs::read_to_string(repo().join(path))
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(*text, on_disk, "{path} differs from the repository's");
        }
    }

    #[test]
    fn a_new_project_has_one_task_per_type_and_every_theory_and_schema() {
        let types: BTreeSet<TaskType> = SHIPPED
            .iter()
            .filter(|(p, _)| p.starts_with("dataset/tasks/"))
            .map(|(p, t)| {
                let doc = Document::load(p, t);
                doc.task()
                    .unwrap_or_else(|| panic!("{p} is not a task"))
                    .task_type()
            })
            .collect();
        assert_eq!(types.len(), TaskType::ALL.len());
        let theories = std::fs::read_dir(repo().join("dataset/theories")).unwrap();
        for entry in theories {
            let name = entry.unwrap().file_name();
            let path = format!("dataset/theories/{}", name.to_string_lossy());
            assert!(SHIPPED.iter().any(|(p, _)| *p == path), "{path} missing");
        }
        for entry in std::fs::read_dir(repo().join("schema")).unwrap() {
            let path = format!("schema/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(SHIPPED.iter().any(|(p, _)| *p == path), "{path} missing");
        }
    }

    /// The commented real providers and models are valid configuration once uncommented,
    /// so the starter never teaches a broken example.
    #[test]
    fn the_commented_real_providers_work_once_uncommented() {
        let (_, text) = STARTER[0];
        let mut inside = false;
        let mut uncommented = String::new();
        let mut regions = 0;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("# --- real") {
                inside = true;
                regions += 1;
                continue;
            }
            if trimmed.starts_with("# --- end") {
                inside = false;
                continue;
            }
            let indent = line.len() - trimmed.len();
            let line = match trimmed.strip_prefix("# ") {
                Some(rest) if inside => format!("{:indent$}{rest}", ""),
                _ => line.to_owned(),
            };
            uncommented.push_str(&line);
            uncommented.push('\n');
        }
        assert_eq!(regions, 2);
        let doc = Document::load("fabula.yaml", &uncommented);
        assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
        let config = doc.config().unwrap();
        assert!(config.providers.contains_key("openrouter"));
        assert!(config.providers.contains_key("anthropic"));
        assert!(config.models.contains_key("claude-haiku"));
        let ws = fabula_core::workspace::Workspace::new(vec![doc]);
        let doc = ws.document("fabula.yaml").unwrap();
        let found = fabula_core::check::diagnostics(&ws, doc);
        assert!(found.is_empty(), "{found:?}");
    }
}

//! The CLI's side of finding files: paths named on the command line, merged with the
//! project's own. Finding the root and reading files is `fabula_engine::project`.

use crate::args::ProjectArgs;
use anyhow::{Context as _, bail};
pub use fabula_engine::project::{SourceFile, find_root, load, project_files};
use fabula_engine::project::{named, yaml_files};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The project root: `--root` (which must hold `fabula.yaml`), else found upwards from
/// the current folder.
pub fn root(args: &ProjectArgs) -> anyhow::Result<PathBuf> {
    match &args.root {
        Some(root) if !root.join("fabula.yaml").is_file() => {
            bail!("--root {}: no fabula.yaml there", root.display())
        }
        Some(root) => Ok(std::path::absolute(root)?),
        None => find_root(&std::env::current_dir()?).context(
            "no fabula.yaml in this folder or above; run inside a project (`fabula init` makes one) or pass --root DIR",
        ),
    }
}

/// Files named on the command line (folders searched for YAML files).
pub fn named_files(root: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for file in yaml_files(path)? {
                files.push(named(root, &file));
            }
        } else if path.is_file() {
            files.push(named(root, path));
        } else {
            bail!("no such file or folder: {}", path.display());
        }
    }
    Ok(files)
}

/// Merges file lists, keeping the first occurrence of each file.
pub fn merge(lists: impl IntoIterator<Item = Vec<SourceFile>>) -> Vec<SourceFile> {
    let mut seen = BTreeMap::new();
    for file in lists.into_iter().flatten() {
        seen.entry(file.disk.clone()).or_insert(file);
    }
    seen.into_values().collect()
}

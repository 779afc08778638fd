//! `fabula check`: load the project for context, check the named files, render.

use crate::Outcome;
use crate::args::{CheckArgs, Format};
use crate::project;
use crate::render;
use anyhow::bail;
use fabula_core::check;
use fabula_core::document::Document;
use fabula_core::workspace::Workspace;
use std::collections::BTreeSet;
use std::io::Write;

pub fn run(args: &CheckArgs) -> anyhow::Result<Outcome> {
    if let Some(code) = &args.explain {
        return explain(code);
    }
    let start = match (&args.root, args.paths.first()) {
        (Some(root), _) => root.clone(),
        (None, Some(first)) => first.clone(),
        (None, None) => std::env::current_dir()?,
    };
    let root = match &args.root {
        Some(root) if !root.join("fabula.yaml").is_file() => {
            bail!("--root {}: no fabula.yaml there", root.display())
        }
        Some(root) => Some(std::path::absolute(root)?),
        None => project::find_root(&start),
    };
    let context = match &root {
        Some(root) => project::project_files(root)?,
        None => Vec::new(),
    };
    let named = project::named_files(root.as_deref(), &args.paths)?;
    if args.paths.is_empty() && root.is_none() {
        bail!("no fabula.yaml in this folder or above; name files to check, or pass --root DIR");
    }
    let reported: BTreeSet<String> = if args.paths.is_empty() {
        context.iter().map(|f| f.name.clone()).collect()
    } else {
        named.iter().map(|f| f.name.clone()).collect()
    };
    let files = project::merge([context, named]);
    let ws = Workspace::new(project::load(&files));
    let docs: Vec<&Document> = ws
        .documents()
        .iter()
        .map(|d| &**d)
        .filter(|d| reported.contains(&d.path))
        .collect();
    let results = check_in_parallel(&ws, &docs);
    let summary = render::Summary::of(&results);
    let mut stdout = std::io::stdout().lock();
    let written = match args.format {
        Format::Human => {
            render::human::write(&mut stdout, &ws, &results, &summary, render::color_wanted())
        }
        Format::Json => render::json::write(&mut stdout, &results, &summary),
        Format::Github => render::github::write(&mut stdout, &results),
        Format::Junit => render::junit::write(&mut stdout, &results, args.strict),
    };
    // A closed pipe (`fabula check | head`) is the reader's choice, not an error; the exit
    // code still tells what was found.
    match written.and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    let failing = summary.errors > 0 || (args.strict && summary.warnings > 0);
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

/// `--explain CODE`: the code's explanation, from the check's own doc (one source for
/// this, the editor's hover and the README's list).
fn explain(code: &str) -> anyhow::Result<Outcome> {
    let Some(text) = check::explain(code) else {
        let mut codes: Vec<&str> = check::LOAD_CODES.iter().map(|(c, _)| *c).collect();
        codes.extend(check::CHECKS.iter().map(|c| c.code));
        bail!("no diagnostic code `{code}`; codes: {}", codes.join(", "));
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{code}: {text}")?;
    Ok(Outcome::Success)
}

/// Semantic checks of each document, on all cores, in document order.
fn check_in_parallel<'a>(ws: &Workspace, docs: &[&'a Document]) -> Vec<render::FileReport<'a>> {
    use rayon::prelude::*;
    docs.par_iter()
        .map(|doc| render::FileReport {
            doc,
            diagnostics: check::diagnostics(ws, doc),
        })
        .collect()
}

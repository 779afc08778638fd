//! `unknown-model`: `judges`, `oracle` or `critic` in `fabula.yaml` names a model config
//! that is not defined under `models`.
//!
//! Why: every judged run needs its judges; a misspelt name would stop the run, or worse,
//! silently judge with fewer judges than intended.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path;
use crate::path::Path;
use crate::suggest;

pub const CHECK: Check = Check {
    code: "unknown-model",
    doc: "judges, oracle or critic names a model config not defined under `models`.",
    on: On::CONFIG,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(config) = cx.config() else { return };
    let mut refs: Vec<(&str, Path)> = config
        .judges
        .iter()
        .enumerate()
        .map(|(i, j)| (j.as_str(), path!["judges", i]))
        .collect();
    if let Some(o) = &config.oracle {
        refs.push((o, path!["oracle"]));
    }
    if let Some(c) = &config.critic {
        refs.push((c, path!["critic"]));
    }
    for (name, at) in refs {
        if config.models.contains_key(name) {
            continue;
        }
        let mut d = Diagnostic::error(CHECK.code, cx.value(&at), format!("unknown model `{name}`"));
        if let Some(near) = suggest::closest(name, config.models.keys().map(String::as_str)) {
            d.message.push_str(&format!("; did you mean `{near}`?"));
            d = d.with_replacement(format!("replace with `{near}`"), near);
        }
        out.push(d);
    }
}

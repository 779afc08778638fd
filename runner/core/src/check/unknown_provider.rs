//! `unknown-provider`: a model config in `fabula.yaml` names a provider that is not
//! defined under `providers`.
//!
//! Why: the runner would not know where to send the model's requests.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path;
use crate::suggest;

pub const CHECK: Check = Check {
    code: "unknown-provider",
    doc: "A model config names a provider not defined under `providers`; its requests have nowhere to go.",
    on: On::CONFIG,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(config) = cx.config() else { return };
    for (name, model) in &config.models {
        if config.providers.contains_key(&model.provider) {
            continue;
        }
        let mut d = Diagnostic::error(
            CHECK.code,
            cx.value(&path!["models", name.as_str(), "provider"]),
            format!("unknown provider `{}`", model.provider),
        );
        if let Some(near) =
            suggest::closest(&model.provider, config.providers.keys().map(String::as_str))
        {
            d.message.push_str(&format!("; did you mean `{near}`?"));
            d = d.with_replacement(format!("replace with `{near}`"), near);
        }
        out.push(d);
    }
}

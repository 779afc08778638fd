//! `fabula doctor`: before a long run, one short request per model a run would use, sent
//! exactly as a judge call of that model would be (its parameters, dialect and key), with
//! a line per model saying whether it answered and, if not, what to check. Settings a
//! dialect cannot send fail without a request; simulated models need none.

use super::session::Session;
use crate::Outcome;
use crate::args::DoctorArgs;
use anyhow::bail;
use fabula_core::model::{Config, FinishReason};
use fabula_engine::call::CallError;
use fabula_engine::env::Env;
use fabula_engine::limits::RetryPolicy;
use fabula_engine::model::{ModelHandle, PROBE_PROMPT};
use fabula_engine::provider::{self, Tuning, Wire};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one check may take: a reasoning model may think before its one word.
const TIMEOUT: Duration = Duration::from_secs(120);

pub fn run(args: &DoctorArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let config = session.config();
    let names = models(config, &args.models)?;
    let env = Env::load(&session.root).map_err(anyhow::Error::msg)?;
    let mut err = std::io::stderr().lock();
    for w in provider::review(config, &env, &names).warnings {
        writeln!(err, "warning: {w}")?;
    }
    drop(err);
    let runtime = crate::commands::runtime()?;
    let checks = runtime.block_on(check_all(Arc::new(config.clone()), env, names));
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Checking {} model(s), one short request each (\"{PROBE_PROMPT}\").",
        checks.len()
    )?;
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &checks {
        let (word, detail) = match &c.verdict {
            Verdict::Ready { seconds, note } => {
                let mut d = format!("{seconds:.2} s");
                if let Some(note) = note {
                    d.push_str(&format!(" ({note})"));
                }
                ("ok", Some(d))
            }
            Verdict::Simulated => ("ok", Some("no request needed".to_string())),
            Verdict::Failed(_) => ("FAIL", None),
        };
        write!(out, "  {word:<4}  {:<width$}  {}", c.name, c.route)?;
        match detail {
            Some(d) => writeln!(out, " · {d}")?,
            None => writeln!(out)?,
        }
        if let Verdict::Failed(why) = &c.verdict {
            writeln!(out, "  {:<4}  {:<width$}  {why}", "", "")?;
        }
    }
    let failed = checks
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Failed(_)))
        .count();
    if failed == 0 {
        writeln!(out, "All {} ready.", checks.len())?;
        Ok(Outcome::Success)
    } else {
        writeln!(
            out,
            "{} of {} ready, {failed} failed: fix them before a long run.",
            checks.len() - failed,
            checks.len()
        )?;
        Ok(Outcome::Findings)
    }
}

/// One model's check.
struct Check {
    name: String,
    /// Provider · model id · wire format.
    route: String,
    verdict: Verdict,
}

enum Verdict {
    Ready { seconds: f64, note: Option<String> },
    Simulated,
    Failed(String),
}

/// `--model` names (checked), else every model a run would use.
fn models(config: &Config, named: &[String]) -> anyhow::Result<Vec<String>> {
    if !named.is_empty() {
        for m in named {
            if !config.models.contains_key(m) {
                let known: Vec<&str> = config.models.keys().map(String::as_str).collect();
                bail!(
                    "--model {m}: not under `models` in fabula.yaml (known: {})",
                    known.join(", ")
                );
            }
        }
        return Ok(named.to_vec());
    }
    let mut all: BTreeSet<String> = config.default_writers().into_iter().collect();
    all.extend(config.judges.iter().cloned());
    all.extend(config.oracle.iter().cloned());
    all.extend(config.critic.iter().cloned());
    Ok(all.into_iter().collect())
}

/// Checks every model; providers at once, each provider's models one after another (so
/// a refused key costs one request, not one per model).
async fn check_all(config: Arc<Config>, env: Env, names: Vec<String>) -> Vec<Check> {
    let mut by_provider: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names {
        let provider = config.models[&name].provider.clone();
        by_provider.entry(provider).or_default().push(name);
    }
    let env = Arc::new(env);
    let mut tasks = tokio::task::JoinSet::new();
    for (pname, models) in by_provider {
        let (config, env) = (Arc::clone(&config), Arc::clone(&env));
        tasks.spawn(async move { check_provider(&config, &env, &pname, &models).await });
    }
    let mut checks: Vec<Check> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(c) => checks.extend(c),
            Err(e) => checks.push(Check {
                name: "?".into(),
                route: String::new(),
                verdict: Verdict::Failed(format!("the check itself failed: {e}")),
            }),
        }
    }
    checks.sort_by(|a, b| a.name.cmp(&b.name));
    checks
}

async fn check_provider(config: &Config, env: &Env, pname: &str, models: &[String]) -> Vec<Check> {
    let pconfig = config.providers.get(pname);
    let wire = pconfig.and_then(|p| provider::wire(p, env));
    let tuning = Tuning {
        retry: Some(RetryPolicy {
            max_retries: 0,
            timeout: TIMEOUT,
            ..RetryPolicy::default()
        }),
        breaker: None,
    };
    let built = match pconfig {
        Some(p) => provider::build(pname, p, env, &tuning).map_err(|e| e.to_string()),
        None => Err(format!(
            "provider `{pname}` is not under `providers` in fabula.yaml"
        )),
    };
    let mut checks = Vec::new();
    for name in models {
        let m = &config.models[name];
        let wire_name = wire.map_or_else(|| "simulated".to_string(), |w| w.to_string());
        let route = format!("{pname} · {} · {wire_name}", m.model);
        let verdict = match &built {
            Err(why) => Verdict::Failed(why.clone()),
            Ok(p) => {
                let handle = ModelHandle::new(name, m.clone(), Arc::clone(p));
                let findings = pconfig.map(|p| provider::review_model(m, p, env));
                let errors = findings.map(|f| f.errors).unwrap_or_default();
                check_model(&handle, &errors, wire).await
            }
        };
        checks.push(Check {
            name: name.clone(),
            route,
            verdict,
        });
    }
    checks
}

/// One model: `errors` are the settings its wire format cannot send.
async fn check_model(handle: &ModelHandle, errors: &[String], wire: Option<Wire>) -> Verdict {
    if handle.simulated() {
        return Verdict::Simulated;
    }
    if !errors.is_empty() {
        return Verdict::Failed(format!("not sent: {}", errors.join("; ")));
    }
    let request = match handle.probe_request() {
        Ok(r) => r,
        Err(e) => return Verdict::Failed(format!("not sent: {e}")),
    };
    let started = Instant::now();
    match handle.call(&request).await {
        Ok(c) => Verdict::Ready {
            seconds: started.elapsed().as_secs_f64(),
            note: (c.finish != FinishReason::Stop).then(|| {
                format!(
                    "the answer stopped with `{}`; the request was accepted",
                    c.finish.as_str()
                )
            }),
        },
        Err(e) => Verdict::Failed(explain(&e, wire)),
    }
}

/// The error, and what it usually means for a check.
fn explain(e: &CallError, wire: Option<Wire>) -> String {
    let hint = match e {
        CallError::Status {
            code: 400 | 422, ..
        } => match wire {
            Some(Wire::Chat(d)) => format!(
                "the provider did not accept the request: check the provider's `dialect` (here `{}`) and this model's settings",
                d.as_str()
            ),
            _ => "the provider did not accept the request: check this model's settings".into(),
        },
        CallError::Status { code: 429, .. } => "rate limited: try again in a while".into(),
        CallError::Status { .. }
        | CallError::Timeout(_)
        | CallError::Connection(_)
        | CallError::CircuitOpen { .. }
        | CallError::Exhausted { .. } => {
            "the provider is not answering well: check base_url (or base_url_env) and try again"
                .into()
        }
        _ => return e.to_string(),
    };
    format!("{e}; {hint}")
}

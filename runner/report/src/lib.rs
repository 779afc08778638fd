//! The HTML report (`fabula report`, and the editor's **Fabula: Open report** through the
//! language server's `fabula/report`): the data model from [`fabula_eval::report`]
//! rendered with minijinja templates (`runner/report/templates/`, autoescaped as HTML) and
//! plotters SVG charts ([`charts`]), into one self-contained page. [`build`] makes the
//! whole page from a store's records; the CLI writes it to a file, the server answers it.
//!
//! Self-contained and safe to open: no network and no file besides itself; its
//! Content-Security-Policy allows only its own script and stylesheet (by hash in a file,
//! by nonce in a webview: [`Host`]) and loads nothing from anywhere. Model output is
//! untrusted text and only ever reaches the page through the templates' escaping. Each
//! task's drill-down is rendered the same way, gzipped and base64-encoded into a data
//! block, and unpacked by the page's script when a reader opens it, so a store of 10,000
//! records makes a page that opens at once.
//!
//! No IO here: the caller hands [`build`] the records and a function that reads a
//! generation record in full (the transcripts).

pub mod charts;

use base64::Engine as _;
use fabula_core::model::GenerationRecord;
use fabula_eval::compare::{self, Comparison, Pick, Side};
use fabula_eval::fingerprint::Current;
use fabula_eval::leaderboard::{self, Item, Options};
use fabula_eval::prepared::PreparedTask;
use fabula_eval::records::Records;
use fabula_eval::report::Overview;
use fabula_eval::report::detail::{self, TaskDetail};
// Gzip at the fast level: the texts compress well at any level, and the page is
// written in one go (the base64 lets it sit in an HTML data block).
use flate2::Compression;
use flate2::write::GzEncoder;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

const PAGE: &str = include_str!("../templates/page.html");
const DETAIL: &str = include_str!("../templates/detail.html");
const CSS: &str = include_str!("../templates/report.css");
const JS: &str = include_str!("../templates/report.js");

/// What the page says about where it comes from.
pub struct Meta<'a> {
    pub project: &'a str,
    pub generated_at: &'a str,
    pub judges: &'a [String],
    pub tasks: usize,
    /// The selection, when narrowed (`--model`, `--task-type`): said in the header.
    pub scope: Option<String>,
}

/// Where the page is shown, which decides its Content-Security-Policy.
#[derive(Clone, Copy, Debug)]
pub enum Host<'a> {
    /// A file opened in a browser: the script and stylesheet are allowed by their hash.
    File,
    /// A VS Code webview: the script and stylesheet carry `nonce` (fresh for each page),
    /// and the webview's own origin (`webview.cspSource`) may serve styles and images, as
    /// VS Code's webview guide asks. Nothing else loads or runs.
    Webview { nonce: &'a str, csp_source: &'a str },
}

/// Everything [`build`] reads.
pub struct Input<'a> {
    pub current: &'a Current<'a>,
    /// The tasks shown (loaded without errors, narrowed by `--task-type`).
    pub tasks: &'a [Arc<PreparedTask>],
    pub records: &'a Records,
    pub models: &'a [String],
    pub judges: &'a [String],
    /// Reads a generation record in full (its transcript); `Err` says why not.
    pub read: &'a (dyn Fn(&Path) -> Result<GenerationRecord, String> + Sync),
    /// Record paths are shown relative to this folder (the project's).
    pub root: &'a Path,
    pub project: &'a str,
    pub generated_at: &'a str,
    pub scope: Option<String>,
    pub host: Host<'a>,
    /// A task whose drill-down the page opens at (when its address names none).
    pub focus: Option<&'a str>,
}

/// A built page and what it holds.
#[derive(Debug)]
pub struct Built {
    pub html: String,
    /// Item rows (task × model × sample).
    pub items: usize,
    pub models: usize,
    /// Tasks with a drill-down.
    pub tasks: usize,
}

/// Why a page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template failed to render (a bug in a template).
    #[error("cannot render the report: {0:#}")]
    Template(#[from] minijinja::Error),
    /// The webview's nonce or source is not one a policy can carry.
    #[error("cannot show the report there: {0}")]
    Host(String),
}

/// The whole page from a store's records: the leaderboard's numbers, the overview, and
/// every task's drill-down (read and rendered in parallel).
pub fn build(input: &Input<'_>) -> Result<Built, Error> {
    if let Host::Webview { nonce, csp_source } = input.host {
        check_host(nonce, csp_source).map_err(Error::Host)?;
    }
    let (board, items) = leaderboard::compute_with_items(
        input.current,
        input.tasks,
        input.records,
        input.models,
        input.judges,
        &Options::default(),
    );
    let overview = fabula_eval::report::overview(&board, input.models, &items);
    let order: Vec<String> = board.rows.iter().map(|r| r.model.clone()).collect();
    let renderer = Renderer::new(&order);

    // Each task's items, models in the board's order.
    let mut by_task: HashMap<&str, Vec<(&str, &Item<'_>)>> = HashMap::new();
    for m in &order {
        let Some(at) = input.models.iter().position(|x| x == m) else {
            continue;
        };
        for i in &items[at] {
            by_task
                .entry(i.task.id())
                .or_default()
                .push((m.as_str(), i));
        }
    }
    let root = input.root;
    let details: Vec<(String, String)> = input
        .tasks
        .par_iter()
        .filter_map(|t| {
            let list = by_task.get(t.id())?;
            let inputs = list
                .iter()
                .map(|(model, item)| detail::Input {
                    model,
                    item,
                    record: match item.path {
                        None => Ok(None),
                        Some(p) => (input.read)(p)
                            .map(Some)
                            .map_err(|e| format!("cannot read {}: {e}", shown(root, p))),
                    },
                })
                .collect();
            let mut d = detail::task(t, input.current.slop, input.judges, inputs);
            for e in d.samples.iter_mut().flat_map(|s| &mut s.entries) {
                if let Some(f) = &e.file {
                    e.file = Some(shown(root, Path::new(f)));
                }
            }
            Some(
                renderer
                    .detail(&d)
                    .map(|packed| (t.id().to_string(), packed)),
            )
        })
        .collect::<Result<_, _>>()?;
    let comparisons = comparisons(input, &order);
    let html = renderer.page(
        &Meta {
            project: input.project,
            generated_at: input.generated_at,
            judges: input.judges,
            tasks: input.tasks.len(),
            scope: input.scope.clone(),
        },
        &overview,
        &details,
        &comparisons,
        input.host,
        input.focus,
    )?;
    Ok(Built {
        html,
        items: overview.items.len(),
        models: order.len(),
        tasks: details.len(),
    })
}

/// Every ordered pair of the board's models (B against A), as `fabula compare A B`
/// computes it on today's records: the page's Compare section, in the board's order.
/// Both orders are computed rather than one negated: the reasons name the sides. The
/// per-criterion rows, which the section does not show, are left out (most of the work).
pub fn comparisons(input: &Input<'_>, models: &[String]) -> Vec<Comparison> {
    let pairs: Vec<(&String, &String)> = models
        .iter()
        .flat_map(|a| models.iter().filter(move |b| *b != a).map(move |b| (a, b)))
        .collect();
    let side = |model| Side {
        model,
        records: input.records,
        pick: Pick::Today,
    };
    pairs
        .par_iter()
        .map(|(a, b)| {
            compare::compare(
                input.current,
                input.tasks,
                side(a),
                side(b),
                input.judges,
                &compare::Options {
                    skip_criteria: true,
                    ..compare::Options::default()
                },
            )
        })
        .collect()
}

/// A record's path relative to the project root, as the page shows it.
fn shown(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// A nonce and a webview source go into the policy as they are: a character that could
/// end a directive or the policy is refused rather than escaped. The source may be a
/// list (VS Code's is `'self' https://*.vscode-cdn.net`).
fn check_host(nonce: &str, csp_source: &str) -> Result<(), String> {
    let base64ish = |c: char| c.is_ascii_alphanumeric() || "+/=-_".contains(c);
    if nonce.len() < 16 || !nonce.chars().all(base64ish) {
        return Err("the nonce must be 16 or more base64 characters".into());
    }
    let source_char = |c: char| (c.is_ascii_graphic() || c == ' ') && !";,\"\\".contains(c);
    if csp_source.is_empty() || !csp_source.chars().all(source_char) {
        return Err(format!(
            "{csp_source:?} is not a Content-Security-Policy source"
        ));
    }
    Ok(())
}

/// The templates, loaded once: rendering is shared by every task's drill-down.
pub struct Renderer {
    env: Environment<'static>,
    /// Model name → palette index, the same in every chart and legend.
    colours: BTreeMap<String, usize>,
}

impl Renderer {
    /// A renderer for a page whose models are `models` (in the colours' order).
    pub fn new(models: &[String]) -> Renderer {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Embedded templates; a syntax error in one is a build mistake that every test
        // rendering a report reports.
        env.add_template("page.html", PAGE)
            .expect("page.html is a valid template");
        env.add_template("detail.html", DETAIL)
            .expect("detail.html is a valid template");
        env.add_filter("score", |v: Option<f64>| {
            v.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"))
        });
        env.add_filter("num", |v: Option<f64>| {
            v.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"))
        });
        env.add_filter("pct", |v: Option<f64>| {
            v.map_or_else(|| "–".to_string(), |v| format!("{:.0}%", v * 100.0))
        });
        env.add_filter("usd", |v: Option<f64>| {
            v.map_or_else(|| "–".to_string(), usd)
        });
        env.add_filter("secs", |v: Option<f64>| {
            v.map_or_else(|| "–".to_string(), secs)
        });
        env.add_filter("count", |v: Option<f64>| {
            v.map_or_else(|| "–".to_string(), |v| format!("{v:.0}"))
        });
        // A number for a data attribute the script sorts and filters on.
        env.add_filter("raw", |v: Option<f64>| {
            v.map_or_else(String::new, |v| v.to_string())
        });
        Renderer {
            env,
            colours: models
                .iter()
                .enumerate()
                .map(|(i, m)| (m.clone(), i))
                .collect(),
        }
    }

    /// One task's drill-down, packed for the page: the HTML rendered straight into gzip
    /// (no copy of it is kept), then base64.
    pub fn detail(&self, detail: &TaskDetail) -> Result<String, minijinja::Error> {
        let mut gz = std::io::BufWriter::with_capacity(
            1 << 16,
            GzEncoder::new(Vec::new(), Compression::fast()),
        );
        self.env.get_template("detail.html")?.render_captured_to(
            context! {
                d => Value::from_serialize(detail),
                colour => &self.colours,
            },
            &mut gz,
        )?;
        // Writing into a Vec cannot fail.
        let packed = gz
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(GzEncoder::finish)
            .expect("gzip into memory");
        Ok(base64::engine::general_purpose::STANDARD.encode(packed))
    }

    /// The whole page. `details` are the packed drill-downs by task id; `comparisons`,
    /// pairs of models for the Compare section ([`comparisons`]); `focus`, a task whose
    /// drill-down the page opens at.
    pub fn page(
        &self,
        meta: &Meta<'_>,
        overview: &Overview,
        details: &[(String, String)],
        comparisons: &[Comparison],
        host: Host<'_>,
        focus: Option<&str>,
    ) -> Result<String, minijinja::Error> {
        let css = format!("{CSS}{}", palette_css(self.colours.len()));
        let (csp, nonce) = match host {
            Host::File => (csp(&css, JS), None),
            Host::Webview { nonce, csp_source } => (webview_csp(nonce, csp_source), Some(nonce)),
        };
        let colour_of = |m: &str| self.colours.get(m).copied().unwrap_or(0);
        let recommended = overview.recommendation.as_ref().map(|r| r.model.as_str());
        let chart = |r: Result<String, charts::ChartError>| -> Value {
            match r {
                Ok(svg) => Value::from_safe_string(svg),
                Err(e) => Value::from(e.to_string()),
            }
        };
        let radars: Vec<Value> = overview
            .radar
            .models
            .iter()
            .filter(|s| s.values.iter().any(Option::is_some))
            .map(|s| {
                context! {
                    model => &s.model,
                    svg => chart(charts::radar(&overview.radar.axes, s, colour_of(&s.model))),
                }
            })
            .collect();
        let improvement: Vec<Value> = overview
            .improvement
            .iter()
            .map(|c| {
                context! {
                    label => &c.label,
                    task_type => &c.task_type,
                    svg => chart(charts::improvement(&c.series, colour_of)),
                }
            })
            .collect();
        let intervals: BTreeMap<&str, Value> = overview
            .models
            .iter()
            .filter_map(|m| {
                let e = m.score.as_ref()?;
                Some((
                    m.model.as_str(),
                    chart(charts::interval(e, colour_of(&m.model))),
                ))
            })
            .collect();
        let theories: BTreeSet<&str> = overview.items.iter().map(|i| i.theory.as_str()).collect();
        let all_free =
            !overview.cost.points.is_empty() && overview.cost.points.iter().all(|p| p.x == 0.0);
        let index: Vec<(&str, usize)> = details
            .iter()
            .enumerate()
            .map(|(n, (id, _))| (id.as_str(), n))
            .collect();
        self.env.get_template("page.html")?.render(context! {
            csp,
            nonce,
            focus,
            css => Value::from_safe_string(css),
            js => Value::from_safe_string(JS.to_string()),
            project => meta.project,
            generated_at => meta.generated_at,
            judges => meta.judges,
            tasks => meta.tasks,
            scope => &meta.scope,
            o => Value::from_serialize(overview),
            colour => &self.colours,
            intervals,
            theories,
            all_free,
            charts => context! {
                heatmap => chart(charts::heatmap(&overview.task_types, &overview.heatmap)),
                radars,
                cost => chart(charts::tradeoff(&overview.cost, "cost per item (USD)", usd, colour_of, recommended)),
                latency => chart(charts::tradeoff(&overview.latency, "median latency (s)", secs, colour_of, recommended)),
                agreement => chart(charts::agreement(&overview.agreement)),
                improvement,
            },
            pairs => comparisons.iter().map(pair_view).collect::<Vec<_>>(),
            blocks_index => index,
            // Base64 needs no escaping, and must not get any: a data block's text is raw.
            blocks => details
                .iter()
                .map(|(_, b)| Value::from_safe_string(b.clone()))
                .collect::<Vec<_>>(),
        })
    }
}

/// One comparison as the Compare section shows it: the numbers formatted once here, so
/// the template only lays them out.
fn pair_view(c: &Comparison) -> Value {
    let diff = |d: &compare::Diff, holm: bool| {
        context! {
            pairs => d.pairs,
            a => format!("{:.1}", d.a),
            b => format!("{:.1}", d.b),
            diff => format!("{:+.1}", d.diff),
            ci => format!("{:+.1} to {:+.1}", d.ci_low, d.ci_high),
            p => p_value(if holm { d.p_holm.unwrap_or(d.p.p) } else { d.p.p }, d.p.exact),
            significant => d.significant(),
            better => d.diff > 0.0,
            wins => d.wins,
            ties => d.ties,
            losses => d.losses,
        }
    };
    context! {
        a => &c.a,
        b => &c.b,
        items => c.items,
        pairs => c.pairs,
        missing => c.missing.iter().map(|(why, n)| format!("{n} ({why})")).collect::<Vec<_>>(),
        overall => c.overall.as_ref().map(|d| diff(d, false)),
        by_type => c.by_type.iter().map(|t| context! {
            task_type => &t.task_type,
            label => leaderboard::type_label(&t.task_type),
            d => diff(&t.diff, true),
        }).collect::<Vec<_>>(),
        moved => c.moved.iter().map(|m| context! {
            task => &m.task,
            sample => m.sample,
            a => format!("{:.1}", m.a),
            b => format!("{:.1}", m.b),
            diff => format!("{:+.1}", m.diff),
            reason => &m.reason,
        }).collect::<Vec<_>>(),
    }
}

/// A p-value as `fabula compare` prints it: `~` when estimated by Monte Carlo.
fn p_value(p: f64, exact: bool) -> String {
    let mark = if exact { "" } else { "~" };
    if p < 0.001 {
        format!("{mark}<0.001")
    } else {
        format!("{mark}{p:.3}")
    }
}

/// The page's Content-Security-Policy: nothing may load from anywhere; the one inline
/// script and the one stylesheet run because their hashes are listed; images only as
/// `data:` (none today). `<meta>` cannot carry `frame-ancestors` or `sandbox`.
pub fn csp(css: &str, js: &str) -> String {
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        sha256_base64(js),
        sha256_base64(css)
    )
}

/// The policy inside a VS Code webview: the same prohibitions, with the one script and
/// stylesheet allowed by `nonce`; styles and images may also come from the webview's own
/// origin (`csp_source`), where VS Code serves its defaults.
pub fn webview_csp(nonce: &str, csp_source: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src {csp_source} 'nonce-{nonce}'; \
         img-src {csp_source} data:; base-uri 'none'; form-action 'none'"
    )
}

fn sha256_base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

/// The model colour classes `.c0`… for swatches (inline styles are not allowed).
fn palette_css(models: usize) -> String {
    (0..models.max(1))
        .map(|n| format!(".c{n}{{background:{}}}\n", charts::css(n)))
        .collect()
}

fn usd(v: f64) -> String {
    if v == 0.0 {
        "$0".to_string()
    } else if v < 0.01 {
        format!("${v:.4}")
    } else {
        format!("${v:.2}")
    }
}

fn secs(v: f64) -> String {
    if v < 0.01 {
        format!("{:.1} ms", v * 1000.0)
    } else {
        format!("{v:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webview_policy_allows_the_nonce_and_the_webviews_sources_only() {
        assert_eq!(
            webview_csp("abcdefghijklmnop", "'self' https://*.vscode-cdn.net"),
            "default-src 'none'; script-src 'nonce-abcdefghijklmnop'; \
             style-src 'self' https://*.vscode-cdn.net 'nonce-abcdefghijklmnop'; \
             img-src 'self' https://*.vscode-cdn.net data:; base-uri 'none'; form-action 'none'"
        );
    }

    #[test]
    fn a_nonce_or_source_that_could_end_a_directive_is_refused() {
        let nonce = "c2VjcmV0LW5vbmNlLTEy";
        assert!(check_host(nonce, "'self' https://*.vscode-cdn.net").is_ok());
        assert!(check_host(nonce, "https://file+.vscode-resource.vscode-cdn.net").is_ok());
        for (nonce, source) in [
            ("short", "'self'"),
            ("abcdefghijklmnop'; script-src *", "'self'"),
            ("abcdefghijklmnop q", "'self'"),
            (nonce, ""),
            (nonce, "'self'; script-src *"),
            (nonce, "'self', script-src *"),
            (nonce, "'self\" onload=\"x"),
            (nonce, "'self'\nscript-src *"),
        ] {
            assert!(check_host(nonce, source).is_err(), "{nonce:?} {source:?}");
        }
    }

    #[test]
    fn p_values_read_as_fabula_compare_prints_them() {
        assert_eq!(p_value(0.0004, true), "<0.001");
        assert_eq!(p_value(0.03125, true), "0.031");
        assert_eq!(p_value(0.25, false), "~0.250");
    }
}

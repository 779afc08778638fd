//! The report page (`fabula report`): the data model from [`fabula_eval::report`]
//! rendered with minijinja templates (`runner/cli/templates/report/`, autoescaped as
//! HTML) and plotters SVG charts ([`charts`]), into one self-contained file.
//!
//! Self-contained and safe to open: no network and no file besides itself; its
//! Content-Security-Policy allows only its own script and stylesheet (by hash) and loads
//! nothing from anywhere. Model output is untrusted text and only ever reaches the page
//! through the templates' escaping. Each task's drill-down is rendered the same way,
//! gzipped and base64-encoded into a data block, and unpacked by the page's script when
//! a reader opens it, so a store of 10,000 records makes a page that opens at once.

pub mod charts;

use base64::Engine as _;
use fabula_eval::report::Overview;
use fabula_eval::report::detail::TaskDetail;
// Gzip at the fast level: the texts compress well at any level, and the page is
// written in one go (the base64 lets it sit in an HTML data block).
use flate2::Compression;
use flate2::write::GzEncoder;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

const PAGE: &str = include_str!("../../../templates/report/page.html");
const DETAIL: &str = include_str!("../../../templates/report/detail.html");
const CSS: &str = include_str!("../../../templates/report/report.css");
const JS: &str = include_str!("../../../templates/report/report.js");

/// What the page says about where it comes from.
pub struct Meta<'a> {
    pub project: &'a str,
    pub generated_at: &'a str,
    pub judges: &'a [String],
    pub tasks: usize,
    /// The selection, when narrowed (`--model`, `--task-type`): said in the header.
    pub scope: Option<String>,
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

    /// The whole page. `details` are the packed drill-downs by task id.
    pub fn page(
        &self,
        meta: &Meta<'_>,
        overview: &Overview,
        details: &[(String, String)],
    ) -> Result<String, minijinja::Error> {
        let css = format!("{CSS}{}", palette_css(self.colours.len()));
        let csp = csp(&css, JS);
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
            blocks_index => index,
            // Base64 needs no escaping, and must not get any: a data block's text is raw.
            blocks => details
                .iter()
                .map(|(_, b)| Value::from_safe_string(b.clone()))
                .collect::<Vec<_>>(),
        })
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

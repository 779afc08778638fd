//! The blind ranking sheet (`fabula rank --export` / `--import`): a panel ranks a task
//! sample's outputs in a spreadsheet, without seeing which model wrote which.
//!
//! A sheet is CSV with the columns [`COLUMNS`]: one row per output, its task and sample,
//! an anonymised output id, an empty rank (1 = best; equal numbers tie), a note and the
//! text. No model name, config or fingerprint appears in it. Each rater's sheet has a
//! seed of its own (the `sheet` column): it shuffles the outputs of every sample and
//! makes the ids (a hash of the seed and the generation's record name), so two raters
//! see different orders and ids, and reading a sheet back finds each output by
//! recomputing the ids from today's records: an id that matches none is an error naming
//! its row, never a guess.
//!
//! Model text is untrusted: every text field is quoted, and a text a spreadsheet would
//! read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets
//! a leading `'`. The text column is never read back.

use crate::fingerprint::{Current, sha_hex};
use crate::prepared::PreparedTask;
use crate::records::Records;
use crate::stats::SplitMix;
use fabula_core::model::{
    GenerationSummary, HumanRanking, RECORD_VERSION, RankedGeneration, Status, TaskType,
};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// The columns of a sheet, in order. Reading needs all but `note` and `text`.
pub const COLUMNS: [&str; 7] = ["sheet", "task", "sample", "output", "rank", "note", "text"];

/// One output shown to a rater.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The anonymised id in the sheet.
    pub id: String,
    /// What a ranking records about it (never written to the sheet).
    pub generation: RankedGeneration,
    pub text: String,
}

/// One task sample to rank: its outputs in the order this rater sees them.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub task: String,
    pub task_type: TaskType,
    pub sample: u32,
    pub outputs: Vec<Output>,
}

/// A sheet that cannot be read back, with the row at fault (1 is the header, as a
/// spreadsheet numbers them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetError {
    pub row: usize,
    pub message: String,
}

impl std::fmt::Display for SheetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.message)
    }
}

impl std::error::Error for SheetError {}

/// One row of a sheet as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The row number (the header is 1).
    pub row: usize,
    pub sheet: String,
    pub task: String,
    pub sample: String,
    pub output: String,
    pub rank: String,
    pub note: String,
}

/// Every sample of `tasks` that today's records can show a rater: the current, successful
/// generations of each model (two or more per sample), shuffled for `seed`. `root` is the
/// store's root: record names are the paths below it.
pub fn samples(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    root: &Path,
    seed: &str,
) -> Vec<Sample> {
    let mut by_task: HashMap<&str, Vec<(&Path, &GenerationSummary)>> = HashMap::new();
    for (path, g) in &records.generations {
        by_task
            .entry(g.task.as_str())
            .or_default()
            .push((path.as_path(), g));
    }
    let mut tasks: Vec<&Arc<PreparedTask>> = tasks.iter().collect();
    tasks.sort_by(|a, b| a.id().cmp(b.id()));
    let mut out = Vec::new();
    for task in tasks {
        let Some(found) = by_task.get(task.id()) else {
            continue;
        };
        // (sample, model) → the newest current, successful generation.
        let mut newest: BTreeMap<(u32, &str), (&Path, &GenerationSummary)> = BTreeMap::new();
        for &(path, g) in found {
            let today = current.generation(task, &g.model);
            if today.as_deref() != Some(g.fingerprint.as_str())
                || g.status != Status::Ok
                || g.view_sha.is_none()
            {
                continue;
            }
            let key = (g.sample, g.model.as_str());
            if newest
                .get(&key)
                .is_none_or(|(_, o)| o.created_at < g.created_at)
            {
                newest.insert(key, (path, g));
            }
        }
        let mut per_sample: BTreeMap<u32, Vec<(&Path, &GenerationSummary)>> = BTreeMap::new();
        for ((sample, _), entry) in newest {
            per_sample.entry(sample).or_default().push(entry);
        }
        for (sample, generations) in per_sample {
            if generations.len() < 2 {
                continue;
            }
            let mut outputs: Vec<Output> = generations
                .into_iter()
                .map(|(path, g)| {
                    let record = record_name(root, path);
                    Output {
                        id: output_id(seed, task.id(), sample, &record),
                        generation: RankedGeneration {
                            model: g.model.clone(),
                            record,
                            generation_fingerprint: g.fingerprint.clone(),
                            generation_sha: g.view_sha.clone().unwrap_or_default(),
                        },
                        text: g.output.clone(),
                    }
                })
                .collect();
            // Sorted first so that the shuffle depends only on the seed and the records.
            outputs.sort_by(|a, b| a.id.cmp(&b.id));
            shuffle(&mut outputs, seed, task.id(), sample);
            out.push(Sample {
                task: task.id().to_string(),
                task_type: task.task.task_type(),
                sample,
                outputs,
            });
        }
    }
    out
}

/// The sheet of `samples` for the rater whose seed is `seed`, as CSV text.
pub fn write(seed: &str, samples: &[Sample]) -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\n");
    for s in samples {
        for o in &s.outputs {
            let fields = [
                quote(seed),
                quote(&s.task),
                s.sample.to_string(),
                quote(&o.id),
                String::new(),
                String::new(),
                quote(&inert(&o.text)),
            ];
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// The rows of a sheet. A byte-order mark, CRLF or LF line ends, quoted fields with
/// line breaks and `""` are read; anything else malformed is an error naming its row.
pub fn parse(text: &str) -> Result<Vec<Row>, SheetError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = split(text)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(SheetError {
            row: 1,
            message: format!(
                "the sheet is empty: it needs a header ({})",
                COLUMNS.join(",")
            ),
        });
    };
    let column = |name: &str| {
        header
            .1
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let required = ["sheet", "task", "sample", "output", "rank"];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| column(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(SheetError {
            row: header.0,
            message: format!(
                "the header has no column {} (a sheet's header is {}; was it saved with another separator than `,`?)",
                missing.join(", "),
                COLUMNS.join(",")
            ),
        });
    }
    let index: Vec<Option<usize>> = ["sheet", "task", "sample", "output", "rank", "note"]
        .iter()
        .map(|c| column(c))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (row, fields) in rows {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |k: usize| {
            index[k]
                .and_then(|i| fields.get(i))
                .map_or(String::new(), |f| f.trim().to_string())
        };
        out.push(Row {
            row: *row,
            sheet: get(0),
            task: get(1),
            sample: get(2),
            output: get(3),
            rank: get(4),
            note: get(5),
        });
    }
    Ok(out)
}

/// The seed of a sheet's rows: every row must carry the same one.
pub fn seed(rows: &[Row]) -> Result<String, SheetError> {
    let Some(first) = rows.first() else {
        return Err(SheetError {
            row: 2,
            message: "the sheet has no rows".to_string(),
        });
    };
    if !is_seed(&first.sheet) {
        return Err(SheetError {
            row: first.row,
            message: format!(
                "`{}` in the sheet column is not a sheet's seed (16 hex digits, as `fabula rank --export` writes it)",
                first.sheet
            ),
        });
    }
    if let Some(other) = rows.iter().find(|r| r.sheet != first.sheet) {
        return Err(SheetError {
            row: other.row,
            message: format!(
                "the sheet column says `{}`, other rows `{}`: rows of two sheets are mixed (import each sheet on its own)",
                other.sheet, first.sheet
            ),
        });
    }
    Ok(first.sheet.clone())
}

/// The rankings a filled sheet holds, matched against `samples` (computed with the
/// sheet's seed from today's records). A sample whose rows have no rank is skipped; a
/// sample ranked in part, an unknown id, a repeated id or a rank that is not a whole
/// number from 1 is an error naming its row. `created_at` is the time to record.
pub fn rankings(
    rows: &[Row],
    samples: &[Sample],
    rater: &str,
    created_at: &str,
) -> Result<Vec<HumanRanking>, SheetError> {
    let seed = seed(rows)?;
    let known: HashMap<(&str, u32), &Sample> = samples
        .iter()
        .map(|s| ((s.task.as_str(), s.sample), s))
        .collect();
    // (task, sample) → the rows, in sheet order.
    let mut grouped: BTreeMap<(&str, u32), Vec<Entry<'_>>> = BTreeMap::new();
    for r in rows {
        let err = |message: String| SheetError {
            row: r.row,
            message,
        };
        let sample: u32 = r
            .sample
            .parse()
            .map_err(|_| err(format!("sample `{}` is not a whole number", r.sample)))?;
        let Some(s) = known.get(&(r.task.as_str(), sample)) else {
            return Err(err(format!(
                "task `{}` sample {sample} has no outputs to rank in this store today (the sheet is from another store, or its outputs were re-run since: export a new sheet)",
                r.task
            )));
        };
        let Some(output) = s.outputs.iter().find(|o| o.id == r.output) else {
            return Err(err(format!(
                "output `{}` is not one of task `{}` sample {sample}'s outputs today (the sheet is from another store, or the outputs changed since it was exported: export a new sheet)",
                r.output, r.task
            )));
        };
        let entry = grouped.entry((s.task.as_str(), sample)).or_default();
        if entry.iter().any(|(_, o, _)| o.id == output.id) {
            return Err(err(format!(
                "output `{}` of task `{}` sample {sample} appears twice",
                r.output, r.task
            )));
        }
        let rank = if r.rank.is_empty() {
            None
        } else {
            match r.rank.parse::<u32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(err(format!(
                        "rank `{}` is not a whole number from 1 (1 = best; equal numbers tie)",
                        r.rank
                    )));
                }
            }
        };
        entry.push((r, output, rank));
    }
    let mut out = Vec::new();
    for ((task, sample), entries) in grouped {
        if entries.iter().all(|(_, _, rank)| rank.is_none()) {
            continue;
        }
        if let Some((r, _, _)) = entries.iter().find(|(_, _, rank)| rank.is_none()) {
            return Err(SheetError {
                row: r.row,
                message: format!(
                    "task `{task}` sample {sample} is ranked in part: give this output a rank too (or clear the sample's ranks to skip it)"
                ),
            });
        }
        if entries.len() < 2 {
            return Err(SheetError {
                row: entries[0].0.row,
                message: format!(
                    "task `{task}` sample {sample} has one output in the sheet: a ranking needs two or more"
                ),
            });
        }
        let mut by_rank: BTreeMap<u32, Vec<RankedGeneration>> = BTreeMap::new();
        for (_, o, rank) in &entries {
            by_rank
                .entry(rank.unwrap_or(u32::MAX))
                .or_default()
                .push(o.generation.clone());
        }
        let mut notes: Vec<&str> = Vec::new();
        for (r, _, _) in &entries {
            if !r.note.is_empty() && !notes.contains(&r.note.as_str()) {
                notes.push(&r.note);
            }
        }
        let task_type = known[&(task, sample)].task_type;
        out.push(HumanRanking {
            format_version: RECORD_VERSION,
            task: task.to_string(),
            task_type,
            sample,
            rater: rater.to_string(),
            ranks: by_rank.into_values().collect(),
            note: notes.join("\n"),
            seed: seed.clone(),
            created_at: created_at.to_string(),
        });
    }
    if out.is_empty() {
        return Err(SheetError {
            row: rows.first().map_or(2, |r| r.row),
            message: "no output has a rank: fill the rank column (1 = best; equal numbers tie)"
                .to_string(),
        });
    }
    Ok(out)
}

/// A ranking of `sample` by its output ids in rank groups, best first (an editor's
/// ranking view): every id must be one of the sample's, at most once, two or more in
/// all; otherwise why not.
pub fn ranking(
    sample: &Sample,
    ranks: &[Vec<String>],
    rater: &str,
    note: &str,
    seed: &str,
    created_at: &str,
) -> Result<HumanRanking, String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut groups = Vec::new();
    for group in ranks {
        let mut out = Vec::new();
        for id in group {
            let Some(o) = sample.outputs.iter().find(|o| &o.id == id) else {
                return Err(format!(
                    "output `{id}` is not one of task `{}` sample {}'s outputs today (they changed since the view opened: open it again)",
                    sample.task, sample.sample
                ));
            };
            if seen.contains(&id.as_str()) {
                return Err(format!("output `{id}` is ranked twice"));
            }
            seen.push(id);
            out.push(o.generation.clone());
        }
        if !out.is_empty() {
            groups.push(out);
        }
    }
    if seen.len() < 2 {
        return Err("a ranking needs two or more outputs".to_string());
    }
    Ok(HumanRanking {
        format_version: RECORD_VERSION,
        task: sample.task.clone(),
        task_type: sample.task_type,
        sample: sample.sample,
        rater: rater.to_string(),
        ranks: groups,
        note: note.trim().to_string(),
        seed: seed.to_string(),
        created_at: created_at.to_string(),
    })
}

/// One row of a sample as read: the row, the output it names, its rank.
type Entry<'a> = (&'a Row, &'a Output, Option<u32>);

/// A rater's seed from something unique to the export (the rater and the time): 16 hex
/// digits.
pub fn new_seed(unique: &str) -> String {
    sha_hex(unique.as_bytes())[..16].to_string()
}

/// Whether `s` is a seed [`new_seed`] makes.
pub fn is_seed(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A generation's anonymised id in a sheet: 8 letters from a hash of the seed, the
/// sample and the record name (each hex digit of the hash's first 8 as `a`..`p`).
/// Without the records, it says nothing of the model; being letters only, a spreadsheet
/// never takes it for a number (and drops a leading zero, or writes `1.2E+7`).
pub fn output_id(seed: &str, task: &str, sample: u32, record: &str) -> String {
    sha_hex(format!("{seed}\n{task}\n{sample}\n{record}").as_bytes())[..8]
        .chars()
        .map(|c| {
            let nibble = c.to_digit(16).unwrap_or(0) as u8;
            char::from(b'a' + nibble)
        })
        .collect()
}

/// A record's name: its path below `root`, `/`-separated.
fn record_name(root: &Path, path: &Path) -> String {
    let inside = path.strip_prefix(root).unwrap_or(path);
    inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Fisher–Yates with a generator seeded by the sheet's seed and the sample.
fn shuffle<T>(items: &mut [T], seed: &str, task: &str, sample: u32) {
    let digest = sha_hex(format!("{seed}\n{task}\n{sample}").as_bytes());
    let start = u64::from_str_radix(&digest[..16], 16).unwrap_or(0);
    let mut rng = SplitMix(start);
    for i in (1..items.len()).rev() {
        let j = rng.below(i + 1);
        items.swap(i, j);
    }
}

/// A CSV field, always quoted.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A text a spreadsheet will show as text, never evaluate as a formula.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// RFC 4180 records with their row numbers (a record's first line, counting the quoted
/// line breaks of earlier records as the spreadsheet does: one row per record).
fn split(text: &str) -> Result<Vec<(usize, Vec<String>)>, SheetError> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut row = 1;
    // Whether the current field was quoted, and is still open.
    let mut quoted = false;
    let mut in_quotes = false;
    let mut started = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                quoted = true;
                in_quotes = true;
                started = true;
            }
            '"' => {
                return Err(SheetError {
                    row,
                    message: "a quote inside a field that does not start with one (quote the whole field and double its quotes)".to_string(),
                });
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
                started = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if started || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push((row, std::mem::take(&mut fields)));
                }
                row += 1;
                quoted = false;
                started = false;
            }
            c if quoted => {
                return Err(SheetError {
                    row,
                    message: format!(
                        "`{c}` after a quoted field's closing quote (a field is quoted whole)"
                    ),
                });
            }
            c => {
                field.push(c);
                started = true;
            }
        }
    }
    if in_quotes {
        return Err(SheetError {
            row,
            message: "a quoted field is never closed".to_string(),
        });
    }
    if started || !field.is_empty() {
        fields.push(field);
        records.push((row, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generation(model: &str) -> RankedGeneration {
        RankedGeneration {
            model: model.into(),
            record: format!("{model}/t/gen-s0-0123456789abcdef.json"),
            generation_fingerprint: "0123456789abcdef".into(),
            generation_sha: "0123456789abcdef0123456789abcdef".into(),
        }
    }

    const SEED: &str = "00fab01a5eed0001";

    fn sample(texts: &[(&str, &str)]) -> Sample {
        Sample {
            task: "t".into(),
            task_type: TaskType::BeatInterpolation,
            sample: 0,
            outputs: texts
                .iter()
                .map(|(model, text)| {
                    let generation = generation(model);
                    Output {
                        id: output_id(SEED, "t", 0, &generation.record),
                        generation,
                        text: text.to_string(),
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn hostile_text_round_trips_and_never_leaks_the_model() {
        let hostile = "=HYPERLINK(\"http://x\",\"a\"),\r\n\"quoted\", line\nnext";
        let s = sample(&[("secret-model-a", hostile), ("secret-model-b", "-dialogue")]);
        let csv = write(SEED, std::slice::from_ref(&s));
        assert!(!csv.contains("secret-model"), "{csv}");
        assert!(
            !csv.contains("0123456789abcdef0123"),
            "no fingerprint or hash"
        );
        let rows = parse(&csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[1].row, 3, "a record with line breaks is one row");
        assert_eq!(rows[0].output, s.outputs[0].id);
        let records = split(&csv).unwrap();
        assert_eq!(records[1].1[6], format!("'{hostile}"), "inert, whole");
        assert_eq!(records[2].1[6], "'-dialogue");
    }

    #[test]
    fn a_filled_sheet_becomes_rankings_with_ties_and_notes() {
        let s = sample(&[("a", "one"), ("b", "two"), ("c", "three")]);
        let id = |m: &str| output_id(SEED, "t", 0, &generation(m).record);
        let csv = format!(
            "\u{feff}sheet,task,sample,output,rank,note,text\n{SEED},t,0,{},2,,x\n{SEED},t,0,{},1,\"best, by far\",y\n{SEED},t,0,{},2,,z\n",
            id("a"),
            id("b"),
            id("c")
        );
        let rows = parse(&csv).unwrap();
        let r = rankings(&rows, &[s], "ann", "2026-12-03T00:00:00Z").unwrap();
        assert_eq!(r.len(), 1);
        let models: Vec<Vec<&str>> = r[0]
            .ranks
            .iter()
            .map(|g| g.iter().map(|g| g.model.as_str()).collect())
            .collect();
        assert_eq!(models, vec![vec!["b"], vec!["a", "c"]]);
        assert_eq!(r[0].note, "best, by far");
        assert_eq!(r[0].seed, SEED);
        assert_eq!(r[0].rater, "ann");
    }

    #[test]
    fn a_bad_sheet_names_the_row() {
        let s = sample(&[("a", "one"), ("b", "two")]);
        let a = output_id(SEED, "t", 0, &generation("a").record);
        let b = output_id(SEED, "t", 0, &generation("b").record);
        let head = "sheet,task,sample,output,rank,note,text\n";
        let cases = [
            (
                format!("{head}{SEED},t,0,{a},1,,\n{SEED},t,0,zzzzzzzz,2,,\n"),
                3,
                "output `zzzzzzzz` is not one of",
            ),
            (
                format!("{head}{SEED},t,0,{a},1,,\n{SEED},t,0,{b},,,\n"),
                3,
                "ranked in part",
            ),
            (
                format!("{head}{SEED},t,0,{a},1,,\n{SEED},t,0,{a},2,,\n"),
                3,
                "appears twice",
            ),
            (
                format!("{head}{SEED},t,0,{a},first,,\n{SEED},t,0,{b},2,,\n"),
                2,
                "rank `first`",
            ),
            (
                format!("{head}{SEED},t,0,{a},0,,\n{SEED},t,0,{b},2,,\n"),
                2,
                "rank `0`",
            ),
            (
                format!("{head}{SEED},t,7,{a},1,,\n"),
                2,
                "sample 7 has no outputs",
            ),
            (format!("{head}{SEED},t,x,{a},1,,\n"), 2, "sample `x`"),
            (
                format!("{head}{SEED},t,0,{a},,,\n{SEED},t,0,{b},,,\n"),
                2,
                "no output has a rank",
            ),
            (
                format!("{head}{SEED},t,0,{a},1,,\n0000000000000000,t,0,{b},2,,\n"),
                3,
                "two sheets are mixed",
            ),
            (format!("{head}nope,t,0,{a},1,,\n"), 2, "not a sheet's seed"),
            (
                "sheet;task;sample;output;rank\n".to_string(),
                1,
                "no column",
            ),
            (
                format!("{head}{SEED},t,0,{a},1,\"open\n"),
                2,
                "never closed",
            ),
            (
                format!("{head}{SEED},t,0,{a},1,a\"b,\n"),
                2,
                "a quote inside",
            ),
            (
                format!("{head}{SEED},t,0,{a},1,\"a\"b,\n"),
                2,
                "after a quoted field",
            ),
            (String::new(), 1, "empty"),
        ];
        for (csv, row, says) in cases {
            let got = parse(&csv).and_then(|rows| {
                rankings(&rows, std::slice::from_ref(&s), "ann", "now").map(|_| ())
            });
            let e = got.expect_err(&csv);
            assert_eq!(e.row, row, "{csv}\n{e}");
            assert!(e.message.contains(says), "{csv}\n{e}");
        }
    }

    #[test]
    fn an_editor_ranking_by_ids() {
        let s = sample(&[("a", "one"), ("b", "two"), ("c", "three")]);
        let id = |m: &str| output_id(SEED, "t", 0, &generation(m).record);
        let r = ranking(
            &s,
            &[vec![id("c")], vec![id("a"), id("b")]],
            "ann",
            " hm ",
            SEED,
            "now",
        )
        .unwrap();
        assert_eq!(r.ranks[0][0].model, "c");
        assert_eq!(r.ranks[1].len(), 2);
        assert_eq!(r.note, "hm");
        let e = ranking(
            &s,
            &[vec![id("a")], vec!["nope".into()]],
            "ann",
            "",
            SEED,
            "now",
        );
        assert!(e.unwrap_err().contains("`nope`"));
        let e = ranking(&s, &[vec![id("a")], vec![id("a")]], "ann", "", SEED, "now");
        assert!(e.unwrap_err().contains("twice"));
        let e = ranking(&s, &[vec![id("a")], vec![]], "ann", "", SEED, "now");
        assert!(e.unwrap_err().contains("two or more"));
    }

    #[test]
    fn the_shuffle_and_ids_depend_on_the_seed() {
        let models: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
        let order = |seed: &str| {
            let mut items: Vec<&str> = models.iter().map(String::as_str).collect();
            shuffle(&mut items, seed, "t", 0);
            items
        };
        assert_eq!(order(SEED), order(SEED));
        assert_ne!(order(SEED), order("1111111111111111"));
        assert_ne!(
            output_id(SEED, "t", 0, "m/t/gen-s0-x.json"),
            output_id("1111111111111111", "t", 0, "m/t/gen-s0-x.json")
        );
        assert!(is_seed(&new_seed("ann 2026")));
        let id = output_id(SEED, "t", 0, "m/t/gen-s0-x.json");
        assert_eq!(id.len(), 8);
        assert!(id.bytes().all(|b| (b'a'..=b'p').contains(&b)), "{id}");
    }
}

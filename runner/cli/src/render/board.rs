//! The leaderboard as a terminal table (comfy-table); the text formats come from
//! [`fabula_eval::text`], which the language server shares.

use fabula_eval::leaderboard::Board;
pub use fabula_eval::text::{csv, json, markdown};
use fabula_eval::text::{footer, headers, rows};
use std::io::Write;

pub fn table(out: &mut impl Write, board: &Board) -> std::io::Result<()> {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(headers(board));
    for r in rows(board) {
        t.add_row(r);
    }
    writeln!(out, "{t}")?;
    writeln!(out, "{}", footer(board))
}

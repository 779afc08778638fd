//! The leaderboard as a terminal table (comfy-table); the text formats come from
//! [`fabula_engine::board_text`].

pub use fabula_engine::board_text::{csv, json, markdown};
use fabula_engine::board_text::{footer, headers, rows};
use fabula_engine::leaderboard::Board;
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

//! Logging to stderr (stdout carries the protocol). `FABULA_LSP_LOG` sets the level:
//! `error`, `warn`, `info` (default) or `debug`.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(2);

/// Reads the level from `FABULA_LSP_LOG`.
pub fn init() {
    let level = match std::env::var("FABULA_LSP_LOG").as_deref() {
        Ok("error") => 0,
        Ok("warn") => 1,
        Ok("debug") => 3,
        _ => 2,
    };
    LEVEL.store(level, Ordering::Relaxed);
}

fn write(level: u8, tag: &str, args: std::fmt::Arguments<'_>) {
    if level <= LEVEL.load(Ordering::Relaxed) {
        // One write per line: a reader of the pipe sees whole lines, never pieces.
        let line = format!("[fabula-lsp {tag}] {args}\n");
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

pub fn error(args: std::fmt::Arguments<'_>) {
    write(0, "error", args);
}

pub fn warn(args: std::fmt::Arguments<'_>) {
    write(1, "warn", args);
}

pub fn info(args: std::fmt::Arguments<'_>) {
    write(2, "info", args);
}

pub fn debug(args: std::fmt::Arguments<'_>) {
    write(3, "debug", args);
}

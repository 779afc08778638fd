//! Names that cannot be file or folder names everywhere: the one rule for the check that
//! flags them in `fabula.yaml` (`reserved-name`) and the store that names files after
//! models, judges and tasks.
//!
//! Windows refuses device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`,
//! `LPT0`–`LPT9`) in any case and with any extension (`nul.txt`, `Com1.tar.gz`), and it
//! silently drops trailing dots and spaces, so `gpt.` and `gpt` would be one folder.

/// Why a name is not portable as a file or folder name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// A Windows device name, possibly followed by an extension.
    Reserved,
    /// Ends in `.` or ` `, which Windows drops.
    TrailingDotOrSpace,
}

/// The problem with `name` as one path component, if it has one.
pub fn problem(name: &str) -> Option<NameProblem> {
    // The device name is what precedes the first dot; Windows also ignores spaces before
    // the dot (`NUL .txt`).
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let device = match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let b = upper.as_bytes();
            b.len() == 4
                && (upper.starts_with("COM") || upper.starts_with("LPT"))
                && b[3].is_ascii_digit()
        }
    };
    if device {
        Some(NameProblem::Reserved)
    } else if name.ends_with('.') || name.ends_with(' ') {
        Some(NameProblem::TrailingDotOrSpace)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{NameProblem, problem};

    #[test]
    fn device_names_in_any_case_and_with_any_extension() {
        for name in [
            "con",
            "CON",
            "Con",
            "nul",
            "NUL",
            "aux",
            "prn",
            "com0",
            "com1",
            "COM9",
            "lpt1",
            "lpt9",
            "LpT5",
            "con.txt",
            "NUL.tar.gz",
            "aux.",
            "nul .txt",
        ] {
            assert_eq!(problem(name), Some(NameProblem::Reserved), "{name}");
        }
    }

    #[test]
    fn trailing_dots_and_spaces() {
        for name in ["gpt.", "gpt-5..", "a b "] {
            assert_eq!(
                problem(name),
                Some(NameProblem::TrailingDotOrSpace),
                "{name}"
            );
        }
    }

    #[test]
    fn ordinary_names_are_fine() {
        for name in [
            "console",
            "icon",
            "nullable",
            "com",
            "com10",
            "lpt",
            "lpta",
            "auxiliary",
            "gpt-5",
            "claude-sonnet",
            "sim-judge-1",
            "my.con",
            "x.nul",
            ".con",
            "com1x",
        ] {
            assert_eq!(problem(name), None, "{name}");
        }
    }
}

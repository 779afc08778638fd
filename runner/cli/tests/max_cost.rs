//! `--max-cost` takes a positive amount of US dollars; everything else gets one clear
//! message and exit 2, with or without `=` (issue 12).

use std::process::Command;

const MESSAGE: &str = "--max-cost takes a positive amount in US dollars";

#[test]
fn bad_amounts_get_one_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for value in [
        "-1", "-0.5", "0", "0.0", "NaN", "nan", "inf", "-inf", "abc", "1e999", "",
    ] {
        for args in [
            vec!["run".to_string(), "--max-cost".into(), value.into()],
            vec!["run".to_string(), format!("--max-cost={value}")],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_fabula"))
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(MESSAGE), "{args:?}: {err}");
            assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
        }
    }
}

#[test]
fn a_good_amount_passes_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["5", "0.05", "1e-3"] {
        let o = Command::new(env!("CARGO_BIN_EXE_fabula"))
            .args(["run", "--max-cost", value])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        // The parser accepted it; the run then stops for want of a project.
        assert!(err.contains("fabula.yaml"), "{value}: {err}");
        assert!(!err.contains(MESSAGE), "{value}: {err}");
    }
}

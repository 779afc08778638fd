//! Who is ranking outputs, when no one said: `git config user.email` in the project,
//! the identity a contributor already has there (`fabula rank`, the editor's ranking
//! view).

use std::path::Path;
use std::process::{Command, Stdio};

/// `git config user.email` run in `root`; `None` when git is missing, fails or has none.
pub fn from_git(root: &Path) -> Option<String> {
    let out = Command::new("git")
        .args(["config", "user.email"])
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let email = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!email.is_empty()).then_some(email)
}

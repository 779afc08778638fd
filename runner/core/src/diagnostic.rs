//! Diagnostics are data: a stable code, a severity, a message, a byte range, related
//! locations and suggested fixes. Renderers (CLI, language server) decide how they look.

use crate::text::TextRange;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Another place that explains a diagnostic (the other file with the same id, the theory
/// that defines the beat order…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    /// Path of the other file, as given to the workspace.
    pub path: String,
    pub range: TextRange,
    pub message: String,
}

/// One text replacement of a fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub range: TextRange,
    pub replacement: String,
}

/// A fix the editor may apply (quick fix), e.g. replace a misspelt beat id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable, kebab-case code (`unknown-beat`). Codes are never reused for other problems.
    pub code: &'static str,
    pub severity: Severity,
    /// Lowercase sentence fragment saying what is wrong.
    pub message: String,
    pub range: TextRange,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn error(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, range, message)
    }

    pub fn warning(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, range, message)
    }

    pub fn new(
        code: &'static str,
        severity: Severity,
        range: TextRange,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            range,
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }

    /// A fix that replaces this diagnostic's range with `replacement`.
    pub fn with_replacement(
        self,
        title: impl Into<String>,
        replacement: impl Into<String>,
    ) -> Self {
        let range = self.range;
        self.with_fix(Fix {
            title: title.into(),
            edits: vec![Edit {
                range,
                replacement: replacement.into(),
            }],
        })
    }
}

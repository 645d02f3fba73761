use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use fs_err as fs;

/// How many lines of a failed build's output an error keeps.
pub const OUTPUT_LINES: usize = 50;

/// How much of the end of the output file is read to find those lines: enough
/// for 50 long compiler lines, and bounded however much the build printed.
const TAIL_BYTES: u64 = 256 * 1024;

/// The end of what a build backend printed (stdout and stderr interleaved),
/// carried by the errors of failed builds.
///
/// It is the last cause of such an error, so the CLI prints it under the
/// reason the build failed: its [`Display`](fmt::Display) is a heading line
/// followed by the output's last [`OUTPUT_LINES`] lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOutput {
    lines: Vec<String>,
    /// Whether earlier lines were left out.
    truncated: bool,
}

impl BuildOutput {
    /// The kept lines, oldest first.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Whether output before [`BuildOutput::lines`] was left out.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The last [`OUTPUT_LINES`] lines of `text`.
    pub(crate) fn from_text(text: &str) -> Self {
        Self::tail(text, false)
    }

    /// The last lines of the output file at `path`, reading at most its last
    /// [`TAIL_BYTES`].
    pub(crate) fn read(path: &Path) -> io::Result<Self> {
        let mut file = fs::File::open(path)?;
        let len = file.metadata()?.len();
        let start = len.saturating_sub(TAIL_BYTES);
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if start > 0 {
            // The first line read is probably the end of a longer one.
            text = text
                .split_once('\n')
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_default();
        }
        Ok(Self::tail(&text, start > 0))
    }

    fn tail(text: &str, truncated: bool) -> Self {
        let all: Vec<&str> = text.lines().collect();
        let skip = all.len().saturating_sub(OUTPUT_LINES);
        Self {
            lines: all[skip..].iter().map(|line| (*line).to_string()).collect(),
            truncated: truncated || skip > 0,
        }
    }
}

impl fmt::Display for BuildOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lines.is_empty() {
            return f.write_str("The build printed nothing");
        }
        if self.truncated {
            write!(f, "Last {} lines of the build output:", self.lines.len())?;
        } else {
            f.write_str("Build output:")?;
        }
        for line in &self.lines {
            write!(f, "\n{line}")?;
        }
        Ok(())
    }
}

/// The output is the last link of an error chain.
impl std::error::Error for BuildOutput {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines() {
        let text: String = (1..=100).map(|n| format!("line {n}\n")).collect();
        let output = BuildOutput::from_text(&text);
        assert_eq!(output.lines().len(), OUTPUT_LINES);
        assert_eq!(output.lines()[0], "line 51");
        assert!(output.is_truncated());
        let shown = output.to_string();
        assert!(shown.starts_with("Last 50 lines of the build output:\nline 51\n"));
        assert!(shown.ends_with("\nline 100"));
    }

    #[test]
    fn short_and_empty_output() {
        assert_eq!(
            BuildOutput::from_text("a\nb\n").to_string(),
            "Build output:\na\nb"
        );
        assert_eq!(
            BuildOutput::from_text("").to_string(),
            "The build printed nothing"
        );
    }

    #[test]
    fn reads_only_the_end_of_a_large_file() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("output");
        let long = "x".repeat(1000);
        let text: String = (0..1000).map(|n| format!("{long} {n}\n")).collect();
        fs::write(&path, text).unwrap();
        let output = BuildOutput::read(&path).unwrap();
        assert_eq!(output.lines().len(), OUTPUT_LINES);
        assert!(output.lines()[49].ends_with(" 999"));
        assert!(output.is_truncated());
    }
}

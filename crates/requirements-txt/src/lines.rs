//! Turning a requirements file into logical lines, as pip's `preprocess` does:
//! join `\` continuations, strip comments, expand `${VAR}`, keeping for every
//! byte of the result the physical position it came from, for error messages.

/// A position in a physical line: 1-based line, 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) byte: usize,
}

/// One logical line: its text and, for every byte, where it came from.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    pub(crate) text: String,
    /// `positions[i]` is the origin of `text.as_bytes()[i]`; one extra entry
    /// marks the end of the line.
    positions: Vec<Pos>,
}

impl LogicalLine {
    /// The 1-based line the logical line starts on.
    pub(crate) fn first_line(&self) -> usize {
        self.positions.first().map_or(1, |pos| pos.line)
    }

    /// The physical origin of a byte offset of `text` (clamped to the end).
    pub(crate) fn origin(&self, offset: usize) -> Pos {
        self.positions[offset.min(self.positions.len() - 1)]
    }

    fn push_str(&mut self, text: &str, pos: Pos, single_origin: bool) {
        for (index, _) in text.bytes().enumerate() {
            self.positions.push(if single_origin {
                pos
            } else {
                Pos {
                    line: pos.line,
                    byte: pos.byte + index,
                }
            });
        }
        self.text.push_str(text);
    }
}

/// The logical lines of a requirements file, without comments and blank
/// lines; `Err(line)` if the logical line starting at `line` is longer than
/// `max_length` bytes (a logical line costs 17 bytes of memory per byte).
pub(crate) fn logical_lines(content: &str, max_length: usize) -> Result<Vec<LogicalLine>, usize> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut lines = Vec::new();
    let mut pending: Option<LogicalLine> = None;
    let mut last = Pos { line: 1, byte: 0 };
    for (index, raw) in content.lines().enumerate() {
        let number = index + 1;
        let start = Pos {
            line: number,
            byte: 0,
        };
        last = Pos {
            line: number,
            byte: raw.len(),
        };
        // A comment line ends a continuation (pip's `join_lines`).
        if raw.ends_with('\\') && !is_comment_line(raw) {
            let line = pending.get_or_insert_with(|| LogicalLine {
                text: String::new(),
                positions: Vec::new(),
            });
            line.push_str(&raw[..raw.len() - 1], start, false);
            if line.text.len() > max_length {
                return Err(line.first_line());
            }
            continue;
        }
        let mut line = match pending.take() {
            Some(mut line) => {
                // pip puts a space before a comment line that ends a
                // continuation, so that the comment is always stripped.
                if is_comment_line(raw) {
                    line.push_str(" ", start, true);
                }
                line
            }
            None => LogicalLine {
                text: String::new(),
                positions: Vec::new(),
            },
        };
        if line.text.len() + raw.len() > max_length {
            let first = line.positions.first().map_or(number, |pos| pos.line);
            return Err(first);
        }
        line.push_str(raw, start, false);
        line.positions.push(last);
        lines.push(line);
    }
    if let Some(mut line) = pending {
        line.positions.push(last);
        lines.push(line);
    }
    Ok(lines
        .into_iter()
        .map(strip_comment)
        .map(expand_env_vars)
        .filter(|line| !line.text.trim().is_empty())
        .collect())
}

/// A line that is only a comment: `#` after optional whitespace.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Remove a comment: a `#` at the start or after whitespace, to the end of the
/// line, and trailing whitespace. A `#` inside a token (a URL fragment like
/// `#sha256=`) is kept.
fn strip_comment(mut line: LogicalLine) -> LogicalLine {
    let bytes = line.text.as_bytes();
    let comment = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()));
    let end = comment.unwrap_or(bytes.len());
    let end = line.text[..end].trim_end().len();
    let end_pos = line.positions[end];
    line.text.truncate(end);
    line.positions.truncate(end);
    line.positions.push(end_pos);
    line
}

/// Expand `${NAME}` with `NAME` made of uppercase ASCII letters, digits and
/// `_`, as pip does; unset variables and any other `$` stay as written. The
/// expanded text points back at the `$` it replaced.
fn expand_env_vars(line: LogicalLine) -> LogicalLine {
    if !line.text.contains("${") {
        return line;
    }
    let mut out = LogicalLine {
        text: String::with_capacity(line.text.len()),
        positions: Vec::with_capacity(line.positions.len()),
    };
    let text = line.text.as_str();
    let mut index = 0;
    while index < text.len() {
        if let Some(rest) = text[index..].strip_prefix("${") {
            let name_len = rest
                .bytes()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
                .count();
            if name_len > 0 && rest.as_bytes().get(name_len) == Some(&b'}') {
                let name = &rest[..name_len];
                let written = 2 + name_len + 1;
                if let Ok(value) = std::env::var(name) {
                    out.push_str(&value, line.positions[index], true);
                } else {
                    for offset in 0..written {
                        out.positions.push(line.positions[index + offset]);
                    }
                    out.text.push_str(&text[index..index + written]);
                }
                index += written;
                continue;
            }
        }
        let ch = text[index..]
            .chars()
            .next()
            .expect("index is a char boundary");
        for offset in 0..ch.len_utf8() {
            out.positions.push(line.positions[index + offset]);
        }
        out.text.push(ch);
        index += ch.len_utf8();
    }
    out.positions.push(line.positions[text.len()]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(content: &str) -> Vec<(usize, String)> {
        logical_lines(content, 1024)
            .unwrap()
            .into_iter()
            .map(|line| (line.first_line(), line.text))
            .collect()
    }

    #[test]
    fn joins_continuations_and_strips_comments() {
        let content = "# header\n\nflask==2.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via app\nsix # pinned\nurl#sha256=abc\n";
        assert_eq!(
            texts(content),
            [
                (
                    3,
                    "flask==2.0     --hash=sha256:aa     --hash=sha256:bb".to_string()
                ),
                (7, "six".to_string()),
                (8, "url#sha256=abc".to_string()),
            ]
        );
    }

    #[test]
    fn comment_line_ends_a_continuation() {
        assert_eq!(
            texts("a\\\n# comment \\\nb\n"),
            [(1, "a".to_string()), (3, "b".to_string())]
        );
    }

    #[test]
    fn positions_point_into_physical_lines() {
        let lines = logical_lines("x \\\n  yz\n", 1024).unwrap();
        let line = &lines[0];
        assert_eq!(line.text, "x   yz");
        assert_eq!(line.origin(4), Pos { line: 2, byte: 2 });
        assert_eq!(line.origin(100), Pos { line: 2, byte: 4 });
    }

    #[test]
    fn long_lines_are_refused() {
        assert_eq!(logical_lines("a\nbbbb\n", 4).unwrap().len(), 2);
        assert_eq!(logical_lines("a\nbbbbb\n", 4).unwrap_err(), 2);
        // Continuations count as one line, reported where it starts.
        assert_eq!(logical_lines("a\nbb\\\ncc\\\nd\n", 4).unwrap_err(), 2);
    }

    #[test]
    fn unset_and_lowercase_variables_stay() {
        let lines = texts("${PUFFIN_TEST_SURELY_UNSET_VARIABLE}/x\n${path}\n$HOME\n${NOT CLOSED\n");
        assert_eq!(
            lines
                .iter()
                .map(|(_, text)| text.as_str())
                .collect::<Vec<_>>(),
            [
                "${PUFFIN_TEST_SURELY_UNSET_VARIABLE}/x",
                "${path}",
                "$HOME",
                "${NOT CLOSED"
            ]
        );
    }
}

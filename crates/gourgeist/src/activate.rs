//! Activation scripts: templates with the environment's path and prompt
//! filled in, each quoted for its shell.

use std::path::Path;

/// One activation script.
pub(crate) struct Activator {
    /// The file name in `bin`.
    pub(crate) name: &'static str,
    template: &'static str,
    quote: fn(&str) -> String,
}

/// The scripts every environment gets.
pub(crate) const ACTIVATORS: &[Activator] = &[
    Activator {
        name: "activate",
        template: include_str!("activate/activate.sh"),
        quote: quote_posix,
    },
    Activator {
        name: "activate.fish",
        template: include_str!("activate/activate.fish"),
        quote: quote_fish,
    },
    Activator {
        name: "activate.csh",
        template: include_str!("activate/activate.csh"),
        quote: quote_posix,
    },
];

impl Activator {
    /// The script for the environment at `root` (absolute) with `prompt`.
    pub(crate) fn render(&self, root: &Path, bin_name: &str, prompt: &str) -> String {
        let root = root.to_string_lossy();
        self.template
            .replace("__VIRTUAL_ENV_BIN__", &format!("{root}/{bin_name}"))
            .replace("__VIRTUAL_ENV__", &(self.quote)(&root))
            .replace("__VIRTUAL_PROMPT__", &(self.quote)(prompt))
            .replace("__BIN_NAME__", bin_name)
    }
}

/// Single quotes for sh and csh: `'` becomes `'\''`.
fn quote_posix(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Single quotes for fish, where `\` and `'` are escaped with `\`.
fn quote_fish(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_posix("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(quote_fish(r"/a b/it's\x"), r"'/a b/it\'s\\x'");
    }

    #[test]
    fn render_fills_every_placeholder() {
        for activator in ACTIVATORS {
            let script = activator.render(Path::new("/home/me/.venv"), "bin", "my env");
            assert!(!script.contains("__"), "{}:\n{script}", activator.name);
            assert!(script.contains("'/home/me/.venv'"), "{}", activator.name);
            assert!(script.contains("'my env'"), "{}", activator.name);
        }
    }
}

//! Create Python virtual environments ([PEP 405]) without running Python.
//!
//! [`create_venv`] lays out `pyvenv.cfg`, `bin/python*` symlinks to the base
//! interpreter, `lib/pythonX.Y/site-packages` and activation scripts for
//! bash/zsh, fish and csh, using only what [`puffin_interpreter::Interpreter`]
//! already knows (a cached query), so creating an environment starts no
//! process.
//!
//! [PEP 405]: https://peps.python.org/pep-0405/

mod activate;
mod create;
mod error;

pub use create::{VenvLayout, VenvOptions, create_venv};
pub use error::Error;

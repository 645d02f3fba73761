//! Find the Python environment puffin works on and describe its interpreter.
//!
//! [`PythonEnvironment::discover`] finds the target environment (`--python`,
//! `VIRTUAL_ENV`, `CONDA_PREFIX`, a `.venv` in the working directory or a
//! parent) and guards a system Python (`--system`, PEP 668
//! `EXTERNALLY-MANAGED`). [`Interpreter::query`] runs a small Python script
//! once per interpreter and caches its answer (version, install scheme, PEP 508
//! markers, pip's default index, ...) in the cache, so later runs start no
//! Python process at all.

mod environment;
mod error;
mod interpreter;

pub use environment::{
    DiscoveryOptions, EnvironmentSource, PythonEnvironment, find_python, venv_python,
};
pub use error::Error;
pub use interpreter::{Interpreter, SchemePaths};

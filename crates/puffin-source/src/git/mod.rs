//! Git sources: `git+` URLs, and their checkouts in the cache, made with
//! the system's `git` program.

mod command;
mod fetch;
mod url;

pub use fetch::{GitCheckout, GitOptions, fetch, fetch_with};
pub use url::GitUrl;

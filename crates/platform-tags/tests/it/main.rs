//! Integration tests for `platform-tags`.

mod sys_tags;

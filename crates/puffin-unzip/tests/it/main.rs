//! Integration tests of puffin-unzip.

mod bad_wheels;
mod unzip;

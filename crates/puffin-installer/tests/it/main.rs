//! Integration tests of puffin-installer.

mod bad_wheels;
mod unzip;

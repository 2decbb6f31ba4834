//! The studio's screens: one file each.

pub mod open_project;
pub mod workspace;

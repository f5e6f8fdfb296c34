//! sessionctl: end and delete sessions on hosted services, from a terminal, a script or cron.
//!
//! The binary (`src/main.rs`) is a thin shell around [`app`]; the modules are public so
//! that tests can reach the CLI definition (completions, man page) and the parsers.

pub mod app;
pub mod bounded;
pub mod cli;
pub mod client;
pub mod config;
pub mod gate;
pub mod guard;
pub mod ids;
pub mod journal;
pub mod lock;
pub mod metrics;
pub mod outcome;
pub mod output;
pub mod prompt;
pub mod protect;
pub mod provider;
pub mod recheck;
pub mod report;
pub mod runner;
pub mod saved;
pub mod section;
pub mod select;
pub mod signals;
pub mod stale;
pub mod table;
pub mod terminal;
pub mod units;

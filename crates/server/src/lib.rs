//! The Catalyst server: configuration, command line, HTTP API, web pages and workers.

pub mod api;
pub mod cli;
pub mod config;
pub mod http;
pub mod startup;
pub mod telemetry;
pub mod web;
pub mod workers;

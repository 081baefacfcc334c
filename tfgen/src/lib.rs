//! tfgen: the platform's AWS infrastructure as typed Rust values, written out
//! as Terraform JSON (`terraform/<env>/*.tf.json`).
//!
//! - [`core`]: configuration documents, typed references, rendering;
//! - [`aws`]: the hashicorp/aws resource types the platform uses;
//! - [`policy`] and [`asl`]: IAM policies and the state machine as values;
//! - [`components`]: one module per concern, wired per environment;
//! - [`env`]: the environments and their settings;
//! - [`synth`] and [`graph`]: writing, checking and drawing the output;
//! - [`manifest`]: the functions, environments and stacks, for the Makefile,
//!   the local cloud and the Python tests.

pub mod asl;
pub mod aws;
pub mod components;
pub mod core;
pub mod env;
pub mod graph;
pub mod manifest;
pub mod policy;
pub mod synth;

//! The README's architecture picture is the one tfgen generates today.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

use tfgen::components::configuration;
use tfgen::components::delivery::stages::promotion_picture;
use tfgen::env::{EnvName, Environment};
use tfgen::graph;

#[test]
fn the_readme_shows_the_current_component_graph_of_dev() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find("<!-- tfgen graph --env dev -->")
        .expect("README marks the picture");
    let end = readme
        .find("<!-- end of tfgen graph -->")
        .expect("README marks the picture's end");
    let shown = &readme[start..end];
    let generated = graph::components(&configuration(&Environment::named(EnvName::Dev)).unwrap());
    assert!(
        shown.contains(&format!("```mermaid\n{generated}```")),
        "README.md's picture is out of date; replace it with `make graph ENV=dev`:\n{generated}"
    );
}

#[test]
fn the_readme_shows_the_current_promotion_path() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme.find("<!-- tfgen promotion -->").expect("README marks the path");
    let end = readme
        .find("<!-- end of tfgen promotion -->")
        .expect("README marks the path's end");
    let generated = promotion_picture();
    assert!(
        readme[start..end].contains(&format!("```mermaid\n{generated}```")),
        "README.md's promotion path is out of date; replace it with `cargo run -p tfgen -- promotion`:\n{generated}"
    );
}

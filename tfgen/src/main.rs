//! `tfgen`: write, check, draw and inspect the platform's Terraform JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use tfgen::components::delivery::stages::promotion_picture as promotion_path_picture;
use tfgen::components::{self, configuration};
use tfgen::core::expr::render_template;
use tfgen::env::{EnvName, Environment};
use tfgen::manifest::{self, Manifest};
use tfgen::synth::{self, Stack};
use tfgen::{graph, synth::resource_count};

#[derive(Parser)]
#[command(
    version,
    about = "The platform's infrastructure as Rust, written out as Terraform JSON"
)]
struct Cli {
    /// Directory holding one folder per configuration.
    #[arg(long, global = true, default_value = "terraform")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write terraform/<env>/*.tf.json (or check them with --check); with
    /// --all also terraform/manifest.json.
    Synth {
        /// One environment.
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        env: Option<EnvName>,
        /// Every environment and the bootstrap configuration.
        #[arg(long)]
        all: bool,
        /// Write here instead of <root>/<env> (with --env only).
        #[arg(long, requires = "env")]
        out: Option<PathBuf>,
        /// Change nothing; fail if the files on disk differ from the code.
        #[arg(long)]
        check: bool,
    },
    /// Print a Mermaid picture of an environment.
    Graph {
        #[arg(long)]
        env: EnvName,
        /// Every resource instead of one box per component.
        #[arg(long)]
        resources: bool,
    },
    /// Print a Mermaid picture of the delivery pipeline's promotion path.
    Promotion,
    /// Print the pipeline's state-machine definition, exactly as written to
    /// pipeline.tf.json (references shown as Terraform interpolations).
    Asl {
        #[arg(long)]
        env: EnvName,
    },
    /// Print the manifest (functions, environments, stacks), as written to
    /// terraform/manifest.json by `synth --all`.
    Manifest,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tfgen: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Synth { env, all, out, check } => {
            let stacks = if all {
                Stack::all()
            } else {
                env.map(Stack::Env).into_iter().collect()
            };
            let started = Instant::now();
            let mut drifted = false;
            // The manifest lists every stack: it goes with --all.
            let manifest = if all {
                Some(BTreeMap::from([(
                    manifest::FILE_NAME.to_string(),
                    Manifest::new()?.render()?,
                )]))
            } else {
                None
            };
            let outputs = stacks
                .into_iter()
                .map(|stack| -> Result<_, Box<dyn std::error::Error>> {
                    let config = stack.configuration()?;
                    let files = stack.render_with(&config)?;
                    let dir = out.clone().unwrap_or_else(|| cli.root.join(stack.dir_name()));
                    Ok((dir, files, Some(resource_count(&config))))
                })
                .chain(manifest.map(|files| Ok((cli.root.clone(), files, None))));
            for output in outputs {
                let (dir, files, resources) = output?;
                if check {
                    let drift = synth::check(&dir, &files)?;
                    for d in &drift {
                        eprintln!("{d}");
                    }
                    drifted |= !drift.is_empty();
                } else {
                    let changed = synth::write(&dir, &files)?;
                    match resources {
                        Some(resources) => println!(
                            "{}: {} files, {resources} resources, {changed} changed",
                            dir.display(),
                            files.len(),
                        ),
                        None => println!(
                            "{}: manifest, {changed} changed",
                            dir.join(manifest::FILE_NAME).display()
                        ),
                    }
                }
            }
            if drifted {
                eprintln!("generated files are out of date: run `make synth` and commit the result");
                return Ok(ExitCode::FAILURE);
            }
            if check {
                println!("generated files are up to date ({} ms)", started.elapsed().as_millis());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph { env, resources } => {
            let config = configuration(&Environment::named(env))?;
            print!(
                "{}",
                if resources {
                    graph::resources(&config)
                } else {
                    graph::components(&config)
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Promotion => {
            print!("{}", promotion_path_picture());
            Ok(ExitCode::SUCCESS)
        }
        Command::Asl { env } => {
            let definition = components::build(&Environment::named(env))?.pipeline_definition;
            // As in pipeline.tf.json: references rendered as interpolations.
            let value: serde_json::Value = serde_json::from_str(&render_template(&definition.to_json())?)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Manifest => {
            print!("{}", Manifest::new()?.render()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

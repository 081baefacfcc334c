//! `tfgen`: write, check, draw and inspect the platform's Terraform JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use tfgen::components::configuration;
use tfgen::env::{EnvName, Environment};
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
    /// Write terraform/<env>/*.tf.json (or check them with --check).
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
    /// Print the pipeline's state-machine definition, exactly as written to
    /// pipeline.tf.json (references shown as Terraform interpolations).
    Asl {
        #[arg(long)]
        env: EnvName,
    },
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
            for stack in stacks {
                let config = stack.configuration()?;
                let files = stack.render_with(&config)?;
                let dir = out.clone().unwrap_or_else(|| cli.root.join(stack.dir_name()));
                if check {
                    let drift = synth::check(&dir, &files)?;
                    for d in &drift {
                        eprintln!("{d}");
                    }
                    drifted |= !drift.is_empty();
                } else {
                    let changed = synth::write(&dir, &files)?;
                    println!(
                        "{}: {} files, {} resources, {changed} changed",
                        dir.display(),
                        files.len(),
                        resource_count(&config)
                    );
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
        Command::Asl { env } => {
            let files = Stack::Env(env).render()?;
            let pipeline: serde_json::Value = serde_json::from_str(&files["pipeline.tf.json"])?;
            let definition = pipeline["resource"]["aws_sfn_state_machine"]["pipeline"]["definition"]
                .as_str()
                .ok_or("pipeline.tf.json has no state-machine definition")?;
            let value: serde_json::Value = serde_json::from_str(definition)?;
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

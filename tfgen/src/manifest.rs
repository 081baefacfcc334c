//! The manifest: what the world outside tfgen needs to know about the
//! platform's functions, environments and configurations, written as
//! `terraform/manifest.json` beside them (and checked with them). The
//! Makefile, the local cloud and the Python tests read it instead of keeping
//! their own lists, so a function or an environment is added in tfgen only.

use serde::Serialize;

use crate::components::build;
use crate::components::functions::Function;
use crate::core::SynthError;
use crate::core::canonical::canonical;
use crate::env::{EnvName, Environment};
use crate::synth::Stack;

/// The file name under the Terraform root (`terraform/manifest.json`).
pub const FILE_NAME: &str = "manifest.json";

#[derive(Debug, Serialize)]
pub struct Manifest {
    #[serde(rename = "//")]
    about: &'static str,
    pub functions: Vec<FunctionEntry>,
    pub environments: Vec<EnvironmentEntry>,
    pub stacks: Stacks,
}

#[derive(Debug, Serialize)]
pub struct FunctionEntry {
    /// The cargo package.
    #[serde(rename = "crate")]
    pub crate_name: &'static str,
    /// Its binary: `target/lambda/<binary>/bootstrap.zip`, and the handler
    /// the local runtime knows the function by.
    pub binary: &'static str,
    /// The Terraform output holding the deployed function's name.
    pub output: String,
    /// Names of the environment variables tfgen sets on the function.
    pub environment: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct EnvironmentEntry {
    pub name: &'static str,
    /// Applied to the local emulator rather than to AWS.
    pub emulated: bool,
    /// Deployed by the delivery pipeline.
    pub deployed: bool,
}

#[derive(Debug, Serialize)]
pub struct Stacks {
    /// Every configuration under `terraform/`: `terraform validate` each.
    pub validate: Vec<&'static str>,
    /// The configurations the security scan covers ([`Stack::is_scanned`]).
    pub scan: Vec<&'static str>,
}

impl Manifest {
    pub fn new() -> Result<Manifest, SynthError> {
        let environments: Vec<Environment> = EnvName::ALL.into_iter().map(Environment::named).collect();
        // The functions are the same in every environment; any one shows them.
        let platform = match environments.first() {
            Some(env) => build(env)?,
            None => return Err(SynthError::Config("no environment is declared".into())),
        };
        let functions = Function::ALL
            .into_iter()
            .map(|f| FunctionEntry {
                crate_name: f.binary(),
                binary: f.binary(),
                output: f.output_name(),
                environment: platform.functions.environment(f).to_vec(),
            })
            .collect();
        Ok(Manifest {
            about: "Written by tfgen (`make synth`), checked by `make synth-check`: do not edit.",
            functions,
            environments: environments
                .iter()
                .map(|env| EnvironmentEntry {
                    name: env.name.as_str(),
                    emulated: env.is_emulated(),
                    deployed: env.delivery.is_some(),
                })
                .collect(),
            stacks: Stacks {
                validate: Stack::all().into_iter().map(Stack::dir_name).collect(),
                scan: Stack::all()
                    .into_iter()
                    .filter(|stack| stack.is_scanned())
                    .map(Stack::dir_name)
                    .collect(),
            },
        })
    }

    /// Pretty JSON with a trailing newline, keys sorted like the rest.
    pub fn render(&self) -> Result<String, SynthError> {
        let mut text = serde_json::to_string_pretty(&canonical(serde_json::to_value(self)?))?;
        text.push('\n');
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_function_environment_and_stack() {
        let manifest = Manifest::new().unwrap();
        let binaries: Vec<&str> = manifest.functions.iter().map(|f| f.binary).collect();
        let declared: Vec<&str> = Function::ALL.iter().map(|f| f.binary()).collect();
        assert_eq!(binaries, declared);
        let environment = |binary: &str| {
            let function = manifest.functions.iter().find(|f| f.binary == binary).unwrap();
            function.environment.clone()
        };
        assert_eq!(environment("post_lambda"), ["TABLE_NAME"]);
        assert_eq!(environment("lambda_b"), ["LOG_BUCKET"]);
        let names: Vec<&str> = manifest.environments.iter().map(|e| e.name).collect();
        assert!(names.iter().all(|n| manifest.stacks.validate.contains(n)));
        assert!(manifest.stacks.validate.contains(&"bootstrap"));
        // The emulated environment is validated, never scanned nor deployed.
        assert!(!manifest.stacks.scan.contains(&"local"));
        assert!(manifest.stacks.scan.contains(&"dev") && manifest.stacks.scan.contains(&"prod"));
        for env in &manifest.environments {
            assert!(
                !env.deployed || manifest.stacks.scan.contains(&env.name),
                "{}",
                env.name
            );
        }
    }
}

//! One module per concern; [`configuration`] wires them into one Terraform
//! configuration per environment, one `*.tf.json` file per component.

pub mod alerts;
pub mod blocks;
pub mod bootstrap;
pub mod delivery;
pub mod encryption;
pub mod functions;
pub mod observability;
pub mod openapi;
pub mod orders_api;
pub mod orders_table;
pub mod pipeline;
pub mod providers;
pub mod results_bucket;
pub mod schedule;
pub mod state;

use crate::asl::StateMachine;
use crate::aws::kms::KmsKey;
use crate::core::{Configuration, Handle, Ref, SynthError, TfFile};
use crate::env::Environment;
use functions::{Function, Functions};

/// What every component needs: the environment, the account, the key.
pub struct Context {
    pub env: Environment,
    pub account_id: Ref,
    /// The platform key (see `encryption`).
    pub key: Handle<KmsKey>,
}

impl Context {
    /// `auction-<env>-<suffix>`.
    pub fn name(&self, suffix: &str) -> String {
        self.env.resource_name(suffix)
    }

    /// `auction-<env>-<suffix>-<account id>`: for names that must be unique
    /// across all of AWS (S3 buckets, the Cognito domain).
    pub fn global_name(&self, suffix: &str) -> String {
        format!("{}-{}", self.name(suffix), self.account_id)
    }
}

/// Builds one component into its own file and adds it to the configuration.
fn component<T>(
    config: &mut Configuration,
    file_stem: &str,
    build: impl FnOnce(&mut TfFile) -> Result<T, SynthError>,
) -> Result<T, SynthError> {
    let mut file = TfFile::new();
    let built = build(&mut file)?;
    config.add(file_stem, file)?;
    Ok(built)
}

/// One environment's configuration and the values tools show on their own.
pub struct Platform {
    pub config: Configuration,
    /// The pipeline's state machine, with references to the configuration.
    pub pipeline_definition: StateMachine,
    pub functions: Functions,
}

/// The whole configuration of one environment.
/// The delivery pipeline and the deploy roles are not part of it: they
/// live in their own configuration ([`delivery::configuration`]).
pub fn configuration(env: &Environment) -> Result<Configuration, SynthError> {
    Ok(build(env)?.config)
}

/// Builds every component of one environment.
pub fn build(env: &Environment) -> Result<Platform, SynthError> {
    env.validate()?;
    let mut config = Configuration::new();
    component(&mut config, "versions", |f| {
        providers::versions(env, f);
        Ok(())
    })?;
    let account_id = component(&mut config, "providers", |f| Ok(providers::build(env, f)))?;
    let key = component(&mut config, "encryption", |f| {
        Ok(encryption::build(env, &account_id, f))
    })?;
    let ctx = Context {
        env: env.clone(),
        account_id,
        key,
    };

    let table = component(&mut config, "orders_table", |f| Ok(orders_table::build(&ctx, f)))?;
    let bucket = component(&mut config, "results_bucket", |f| Ok(results_bucket::build(&ctx, f)))?;
    let alerts = component(&mut config, "alerts", |f| Ok(alerts::build(&ctx, f)))?;
    let functions = component(&mut config, "functions", |f| functions::build(&ctx, f, &table, &bucket))?;
    let api = component(&mut config, "orders_api", |f| {
        Ok(orders_api::build(&ctx, f, &functions[Function::PostLambda]))
    })?;
    let pipeline = component(&mut config, "pipeline", |f| {
        Ok(pipeline::build(&ctx, f, &functions, &alerts))
    })?;
    let dlq = component(&mut config, "schedule", |f| {
        Ok(schedule::build(&ctx, f, &pipeline.machine))
    })?;
    component(&mut config, "observability", |f| {
        let watched = observability::Watched {
            api: &api,
            functions: &functions,
            table_name: table.name(),
            state_machine_arn: pipeline.machine.arn(),
            schedule_dlq: &dlq,
            alerts: &alerts,
        };
        observability::build(&ctx, f, &watched);
        Ok(())
    })?;
    Ok(Platform {
        config,
        pipeline_definition: pipeline.definition,
        functions,
    })
}

//! The environments, in one typed place: everything that differs between
//! `local`, `dev` and `prod` is a field here, checked by [`Environment::validate`].

use std::fmt;

use crate::core::SynthError;

/// Every resource name starts with `<PROJECT>-<env>-`.
pub const PROJECT: &str = "auction";
pub const REGION: &str = "eu-west-1";

/// Declares [`EnvName`] with its spelling, and [`EnvName::ALL`] from the
/// same list: an environment is added here once (and its settings in
/// [`Environment::named`], which the compiler asks for).
macro_rules! env_names {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
        pub enum EnvName {
            $($variant),+
        }

        impl EnvName {
            /// Every environment, in declaration order (the order of
            /// promotion for the deployed ones).
            pub const ALL: [EnvName; [$($name),+].len()] = [$(EnvName::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EnvName::$variant => $name),+
                }
            }
        }
    };
}

env_names! {
    Local => "local",
    Dev => "dev",
    Prod => "prod",
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where Terraform applies the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A real AWS account (`Environment::account_id`), state in that
    /// account's state bucket with S3-native locking (see `components::state`).
    Aws,
    /// The local emulator (moto), reached at a URL given as a variable;
    /// dummy credentials, local state.
    Emulator { default_endpoint: &'static str },
}

impl SlackChannel {
    /// Real ids only: Chatbot rejects a configuration naming a workspace
    /// it has not authorized, which would fail the whole apply.
    pub fn validate(&self) -> Result<(), String> {
        let well_formed = |id: &str, prefix: char| {
            id.starts_with(prefix) && id.len() >= 9 && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        };
        if !well_formed(self.team_id, 'T') || !well_formed(self.channel_id, 'C') {
            return Err(format!(
                "Slack ids {} / {} are not a workspace (T…) and channel (C…) id",
                self.team_id, self.channel_id
            ));
        }
        if self.team_id.contains("AUCTION") || self.channel_id.contains("AUCTION") {
            return Err(
                "Slack ids look like placeholders; leave `slack: None` until the workspace is authorized".into(),
            );
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Steady-state requests per second for the stage.
    pub throttling_rate_limit: f64,
    pub throttling_burst_limit: u32,
    /// post_lambda's reserved concurrency: the stage limits the request
    /// rate, not how many run at once, so a burst of slow requests could
    /// otherwise take the whole account's concurrency from lambda_a and
    /// lambda_b. `None` where the account's quota is too small to reserve.
    pub post_lambda_reserved_concurrency: Option<u32>,
    /// The account's Lambda concurrency quota in the region (1,000 unless
    /// raised; new accounts may have less: then reserve nothing).
    pub account_concurrency: u32,
}

/// Lambda keeps at least this much of an account's concurrency unreserved.
const MIN_UNRESERVED_CONCURRENCY: u32 = 100;

#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// How often EventBridge Scheduler starts a run, in minutes.
    pub schedule_every_minutes: u32,
    /// Pause between two asks for auction results that were not ready.
    pub wait_seconds: u32,
    /// Asks for results at most this many times, then alerts and fails.
    pub max_attempts: u32,
    /// Limit of each Lambda task.
    pub task_timeout_seconds: u32,
    /// Limit of a whole run; below the schedule interval so runs never overlap.
    pub run_timeout_seconds: u32,
    /// Orders archived in parallel by the Map state.
    pub max_concurrency: u32,
    /// What the state machine logs (always with execution data, so a
    /// logged failure shows its input).
    pub log_level: ExecutionLogLevel,
}

/// Step Functions execution logging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionLogLevel {
    /// Every state of every run, with its input and output: for debugging.
    All,
    /// Only failed states and runs, with their input: orders are logged
    /// only when something went wrong with them.
    Error,
}

impl ExecutionLogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionLogLevel::All => "ALL",
            ExecutionLogLevel::Error => "ERROR",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SlackChannel {
    /// Workspace id (`T…`), shown in the Chatbot console after authorizing.
    pub team_id: &'static str,
    /// Channel id (`C…`), from the channel's details in Slack.
    pub channel_id: &'static str,
}

/// How the delivery pipeline deploys one environment. Environments with
/// these settings are deployed in [`EnvName::ALL`] order, each from the
/// artifact the one before it applied.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// A person approves the saved plan before it is applied.
    pub requires_approval: bool,
}

/// The one delivery pipeline (`terraform/delivery/`, applied by an
/// administrator): where it takes the code from, where it reports.
#[derive(Debug, Clone)]
pub struct DeliveryPipeline {
    /// `owner/name` of the GitHub repository.
    pub repository: &'static str,
    /// Pushes to this branch start a run.
    pub branch: &'static str,
    /// Approval requests and failed runs go here. `None` until the Slack
    /// workspace is authorized in the Chatbot console (README, one-time
    /// steps): Chatbot refuses ids it has not seen, so no placeholders.
    pub slack: Option<SlackChannel>,
}

pub const DELIVERY: DeliveryPipeline = DeliveryPipeline {
    repository: "energy-trading/auction-orders",
    branch: "master",
    slack: None,
};

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: EnvName,
    pub target: Target,
    /// The AWS account the environment lives in; Terraform refuses any other
    /// (`allowed_account_ids`); each account has its own state bucket. One
    /// account per environment is the recommended production setup, but the
    /// delivery pipeline does not yet generate cross-account deploy roles,
    /// so the deployed environments share the pipeline's account for now.
    /// `None` for the emulator.
    pub account_id: Option<&'static str>,
    pub api: ApiSettings,
    pub pipeline: PipelineSettings,
    /// CloudWatch Logs retention of every log group.
    pub log_retention_days: u32,
    /// Deletion protection on the table and Cognito pool, `prevent_destroy`
    /// on stored data.
    pub protect_data: bool,
    /// Chatbot forwards alerts here; `None` where Chatbot cannot run and
    /// until the workspace is authorized (README, one-time steps).
    pub slack: Option<SlackChannel>,
    /// How the delivery pipeline deploys this environment; `None` locally.
    pub delivery: Option<DeliverySettings>,
    /// An SQS queue subscribed to the alert topic, so alerts can be read
    /// where there is no Slack (the local cloud and its tests).
    pub alert_queue: bool,
}

/// CloudWatch Logs accepts only these retention periods.
const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

impl Environment {
    pub fn named(name: EnvName) -> Environment {
        match name {
            EnvName::Local => Environment {
                name,
                target: Target::Emulator {
                    default_endpoint: "http://127.0.0.1:4566",
                },
                account_id: None,
                api: ApiSettings {
                    // Low, so the local tests can exceed it with a burst.
                    throttling_rate_limit: 5.0,
                    throttling_burst_limit: 10,
                    post_lambda_reserved_concurrency: None,
                    account_concurrency: 1000,
                },
                pipeline: PipelineSettings {
                    schedule_every_minutes: 15,
                    wait_seconds: 1,
                    max_attempts: 5,
                    task_timeout_seconds: 60,
                    run_timeout_seconds: 600,
                    max_concurrency: 10,
                    log_level: ExecutionLogLevel::All,
                },
                log_retention_days: 1,
                protect_data: false,
                slack: None,
                delivery: None,
                alert_queue: true,
            },
            EnvName::Dev => Environment {
                name,
                target: Target::Aws,
                // Replace with the dev account's id before the first deploy.
                account_id: Some("111111111111"),
                api: ApiSettings {
                    throttling_rate_limit: 100.0,
                    throttling_burst_limit: 200,
                    // Development accounts often keep the default quota of 10.
                    post_lambda_reserved_concurrency: None,
                    account_concurrency: 1000,
                },
                pipeline: PipelineSettings {
                    schedule_every_minutes: 30,
                    wait_seconds: 30,
                    max_attempts: 10,
                    task_timeout_seconds: 30,
                    run_timeout_seconds: 1200,
                    max_concurrency: 10,
                    log_level: ExecutionLogLevel::All,
                },
                log_retention_days: 30,
                protect_data: false,
                // Set once the Slack workspace is authorized (README).
                slack: None,
                delivery: Some(DeliverySettings {
                    requires_approval: false,
                }),
                alert_queue: false,
            },
            EnvName::Prod => Environment {
                name,
                target: Target::Aws,
                // Replace with your account's id before the first deploy:
                // the same as dev's while the pipeline deploys within one
                // account (see `delivery::configuration`).
                account_id: Some("111111111111"),
                api: ApiSettings {
                    throttling_rate_limit: 500.0,
                    throttling_burst_limit: 1000,
                    post_lambda_reserved_concurrency: Some(100),
                    account_concurrency: 1000,
                },
                pipeline: PipelineSettings {
                    schedule_every_minutes: 60,
                    wait_seconds: 60,
                    max_attempts: 20,
                    task_timeout_seconds: 30,
                    run_timeout_seconds: 2700,
                    max_concurrency: 10,
                    log_level: ExecutionLogLevel::Error,
                },
                log_retention_days: 365,
                protect_data: true,
                // Set once the Slack workspace is authorized (README).
                slack: None,
                delivery: Some(DeliverySettings {
                    requires_approval: true,
                }),
                alert_queue: false,
            },
        }
    }

    /// `auction-dev-orders`: every name carries the project and environment.
    pub fn resource_name(&self, suffix: &str) -> String {
        format!("{PROJECT}-{}-{suffix}", self.name)
    }

    /// The environments the delivery pipeline deploys, in promotion order.
    pub fn deployed() -> Vec<Environment> {
        EnvName::ALL
            .into_iter()
            .map(Environment::named)
            .filter(|env| env.delivery.is_some())
            .collect()
    }

    pub fn is_emulated(&self) -> bool {
        matches!(self.target, Target::Emulator { .. })
    }

    /// Rejects settings that would make a broken or unsafe deployment.
    pub fn validate(&self) -> Result<(), SynthError> {
        let fail = |msg: String| Err(SynthError::Config(format!("{}: {msg}", self.name)));
        let p = &self.pipeline;
        if p.max_attempts == 0 || p.max_concurrency == 0 || p.task_timeout_seconds == 0 {
            return fail("pipeline attempts, concurrency and task timeout must be at least 1".into());
        }
        // The results loop in the worst case: every ask times out, then waits.
        let worst_loop = p.max_attempts * (p.task_timeout_seconds + p.wait_seconds);
        if worst_loop >= p.run_timeout_seconds {
            return fail(format!(
                "run timeout {}s leaves no time for the orders after the results loop (worst case {worst_loop}s)",
                p.run_timeout_seconds
            ));
        }
        // A run, started as late as Scheduler may retry its start (at least
        // 60 s), must still end before the next one: runs never pile up.
        if p.run_timeout_seconds + 60 > p.schedule_every_minutes * 60 {
            return fail(format!(
                "run timeout {}s must end at least 60 s before the next run ({} min) so runs never pile up",
                p.run_timeout_seconds, p.schedule_every_minutes
            ));
        }
        match (self.account_id, &self.target) {
            (Some(id), Target::Aws) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => {}
            (None, Target::Emulator { .. }) => {}
            (id, _) => {
                return fail(format!(
                    "account id {id:?}: a 12-digit id in AWS, none for the emulator"
                ));
            }
        }
        if !RETENTION_DAYS.contains(&self.log_retention_days) {
            return fail(format!(
                "{} days is not a CloudWatch Logs retention period",
                self.log_retention_days
            ));
        }
        if self.api.throttling_rate_limit <= 0.0 || self.api.throttling_burst_limit == 0 {
            return fail("API throttling limits must be positive".into());
        }
        if let Some(reserved) = self.api.post_lambda_reserved_concurrency {
            // What the pipeline needs at once: lambda_a, and lambda_b per Map branch.
            let others = MIN_UNRESERVED_CONCURRENCY.max(p.max_concurrency + 1);
            if reserved == 0 || reserved.saturating_add(others) > self.api.account_concurrency {
                return fail(format!(
                    "post_lambda's reserved concurrency {reserved} must be at least 1 and leave {others} of the account's {} for the other functions",
                    self.api.account_concurrency
                ));
            }
        }
        if self.is_emulated() && (self.slack.is_some() || self.delivery.is_some()) {
            return fail("the emulator holds neither Chatbot nor the delivery pipeline".into());
        }
        if let Some(slack) = &self.slack {
            slack
                .validate()
                .map_err(|msg| SynthError::Config(format!("{}: {msg}", self.name)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_environment_is_valid() {
        for name in EnvName::ALL {
            Environment::named(name).validate().unwrap();
        }
    }

    #[test]
    fn a_run_that_could_outlast_the_schedule_is_rejected() {
        let mut env = Environment::named(EnvName::Dev);
        env.pipeline.run_timeout_seconds = env.pipeline.schedule_every_minutes * 60;
        let err = env.validate().unwrap_err().to_string();
        assert!(err.contains("pile up"), "{err}");
    }

    #[test]
    fn a_results_loop_longer_than_the_run_is_rejected() {
        let mut env = Environment::named(EnvName::Prod);
        env.pipeline.max_attempts = 1000;
        assert!(env.validate().unwrap_err().to_string().contains("results loop"));
    }

    #[test]
    fn every_environment_is_listed_once_under_its_clap_name() {
        use clap::ValueEnum;
        let names: Vec<&str> = EnvName::ALL.iter().map(|e| e.as_str()).collect();
        let clap: Vec<String> = EnvName::value_variants()
            .iter()
            .filter_map(|e| e.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        assert_eq!(names, clap);
    }

    #[test]
    fn dev_is_deployed_before_prod_and_local_never() {
        let order: Vec<EnvName> = Environment::deployed().iter().map(|e| e.name).collect();
        assert_eq!(order, [EnvName::Dev, EnvName::Prod]);
    }

    #[test]
    fn placeholder_slack_ids_are_rejected() {
        let mut env = Environment::named(EnvName::Dev);
        env.slack = Some(SlackChannel {
            team_id: "T0AUCTIONDEV",
            channel_id: "C0AUCTIONDEV",
        });
        assert!(env.validate().unwrap_err().to_string().contains("placeholders"));
        env.slack = Some(SlackChannel {
            team_id: "T01ABCDEF23",
            channel_id: "C04XYZ98765",
        });
        env.validate().unwrap();
        assert!(
            DELIVERY.slack.is_none(),
            "no Slack ids until the workspace is authorized"
        );
    }

    #[test]
    fn reserved_concurrency_must_leave_the_account_enough() {
        let mut env = Environment::named(EnvName::Prod);
        env.api.post_lambda_reserved_concurrency = Some(901);
        let err = env.validate().unwrap_err().to_string();
        assert!(err.contains("leave 100 of the account's 1000"), "{err}");
        env.api.post_lambda_reserved_concurrency = Some(0);
        assert!(env.validate().is_err());
        env.api.post_lambda_reserved_concurrency = Some(900);
        env.validate().unwrap();
    }

    #[test]
    fn names_carry_project_and_environment() {
        assert_eq!(
            Environment::named(EnvName::Prod).resource_name("orders"),
            "auction-prod-orders"
        );
    }
}

//! The environments, in one typed place: everything that differs between
//! `local`, `dev` and `prod` is a field here, checked by [`Environment::validate`].

use std::fmt;

use crate::core::SynthError;

/// Every resource name starts with `<PROJECT>-<env>-`.
pub const PROJECT: &str = "auction";
pub const REGION: &str = "eu-west-1";
/// The S3 bucket holding Terraform state for `dev` and `prod`, created once
/// by the `bootstrap` configuration. Bucket names are global: change it here.
pub const STATE_BUCKET: &str = "auction-orders-terraform-state-eu-west-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum EnvName {
    Local,
    Dev,
    Prod,
}

impl EnvName {
    pub const ALL: [EnvName; 3] = [EnvName::Local, EnvName::Dev, EnvName::Prod];

    pub fn as_str(self) -> &'static str {
        match self {
            EnvName::Local => "local",
            EnvName::Dev => "dev",
            EnvName::Prod => "prod",
        }
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where Terraform applies the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A real AWS account, state in [`STATE_BUCKET`] with S3-native locking.
    Aws,
    /// The local emulator (moto), reached at a URL given as a variable;
    /// dummy credentials, local state.
    Emulator { default_endpoint: &'static str },
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
}

#[derive(Debug, Clone)]
pub struct SlackChannel {
    /// Workspace id (`T…`), shown in the Chatbot console after authorizing.
    pub team_id: &'static str,
    /// Channel id (`C…`), from the channel's details in Slack.
    pub channel_id: &'static str,
}

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// `owner/name` of the GitHub repository.
    pub repository: &'static str,
    pub branch: &'static str,
    /// A person approves the saved plan before it is applied.
    pub requires_approval: bool,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: EnvName,
    pub target: Target,
    pub api: ApiSettings,
    pub pipeline: PipelineSettings,
    /// CloudWatch Logs retention of every log group.
    pub log_retention_days: u32,
    /// Deletion protection on the table and Cognito pool, `prevent_destroy`
    /// on stored data.
    pub protect_data: bool,
    /// Chatbot forwards alerts here; `None` where Chatbot cannot run.
    pub slack: Option<SlackChannel>,
    /// The CodePipeline that deploys this environment; `None` locally.
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
                },
                log_retention_days: 30,
                protect_data: false,
                slack: Some(SlackChannel {
                    team_id: "T0AUCTIONDEV",
                    channel_id: "C0AUCTIONDEV",
                }),
                delivery: Some(DeliverySettings {
                    repository: "energy-trading/auction-orders",
                    branch: "master",
                    requires_approval: false,
                }),
                alert_queue: false,
            },
            EnvName::Prod => Environment {
                name,
                target: Target::Aws,
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
                },
                log_retention_days: 365,
                protect_data: true,
                slack: Some(SlackChannel {
                    team_id: "T0AUCTIONPRD",
                    channel_id: "C0AUCTIONPRD",
                }),
                delivery: Some(DeliverySettings {
                    repository: "energy-trading/auction-orders",
                    branch: "master",
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

//! The schedule: EventBridge Scheduler starts a pipeline run at the
//! environment's rate, retries a failed start, and parks starts it could not
//! make in an encrypted dead-letter queue. Late retries must not overlap the
//! next run, so a start is abandoned once the run could no longer finish
//! before the next scheduled one.

use crate::aws::messaging::SqsQueue;
use crate::aws::scheduler::*;
use crate::aws::sfn::SfnStateMachine;
use crate::core::{Handle, TfFile};
use crate::env::PipelineSettings;
use crate::policy::Statement;

use super::Context;
use super::blocks::service_role;

pub fn build(ctx: &Context, file: &mut TfFile, machine: &Handle<SfnStateMachine>) -> Handle<SqsQueue> {
    let settings = &ctx.env.pipeline;
    let dead_letters = file.resource(
        "schedule_dlq",
        SqsQueue {
            name: ctx.name("schedule-dlq"),
            kms_master_key_id: ctx.key.arn().into(),
            message_retention_seconds: 14 * 24 * 3600,
            visibility_timeout_seconds: None,
        },
    );
    let role = service_role(
        ctx,
        file,
        "scheduler",
        "scheduler",
        "scheduler.amazonaws.com",
        vec![
            Statement::allow("StartPipelineRuns", ["states:StartExecution"]).on([machine.arn()]),
            Statement::allow("ParkFailedStarts", ["sqs:SendMessage"]).on([dead_letters.arn()]),
            Statement::allow("UseEncryptionKey", ["kms:GenerateDataKey", "kms:Decrypt"]).on([ctx.key.arn()]),
        ],
    );
    file.resource(
        "pipeline",
        SchedulerSchedule {
            name: ctx.name("pipeline"),
            description: "Starts an auction-results pipeline run".into(),
            schedule_expression: rate_expression(settings.schedule_every_minutes),
            schedule_expression_timezone: "UTC".into(),
            state: "ENABLED".into(),
            kms_key_arn: ctx.key.arn().into(),
            flexible_time_window: FlexibleTimeWindow { mode: "OFF".into() },
            target: ScheduleTarget {
                arn: machine.arn().into(),
                role_arn: role.arn().into(),
                input: "{}".into(),
                retry_policy: RetryPolicy {
                    maximum_event_age_in_seconds: start_deadline_seconds(settings),
                    maximum_retry_attempts: 10,
                },
                dead_letter_config: DeadLetterConfig {
                    arn: dead_letters.arn().into(),
                },
            },
        },
    );
    dead_letters
}

/// `rate(1 hour)`, `rate(30 minutes)`.
pub fn rate_expression(minutes: u32) -> String {
    match minutes {
        60 => "rate(1 hour)".into(),
        m if m % 60 == 0 => format!("rate({} hours)", m / 60),
        1 => "rate(1 minute)".into(),
        m => format!("rate({m} minutes)"),
    }
}

/// How long Scheduler keeps retrying a start: only as long as the run still
/// ends before the next scheduled one (Scheduler accepts 60 s to 24 h).
pub fn start_deadline_seconds(settings: &PipelineSettings) -> u32 {
    let slack = (settings.schedule_every_minutes * 60).saturating_sub(settings.run_timeout_seconds);
    slack.clamp(60, 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_scheduler_expects() {
        assert_eq!(rate_expression(60), "rate(1 hour)");
        assert_eq!(rate_expression(120), "rate(2 hours)");
        assert_eq!(rate_expression(15), "rate(15 minutes)");
        assert_eq!(rate_expression(1), "rate(1 minute)");
    }
}

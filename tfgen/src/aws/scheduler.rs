//! EventBridge Scheduler.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SchedulerSchedule {
    pub name: String,
    pub description: String,
    pub schedule_expression: String,
    pub schedule_expression_timezone: String,
    pub state: String,
    pub kms_key_arn: String,
    pub flexible_time_window: FlexibleTimeWindow,
    pub target: ScheduleTarget,
}
resource!(SchedulerSchedule = "aws_scheduler_schedule" { arn, name });

#[derive(Debug, Clone, Serialize)]
pub struct FlexibleTimeWindow {
    pub mode: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduleTarget {
    pub arn: String,
    pub role_arn: String,
    pub input: String,
    pub retry_policy: RetryPolicy,
    pub dead_letter_config: DeadLetterConfig,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetryPolicy {
    pub maximum_event_age_in_seconds: u32,
    pub maximum_retry_attempts: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterConfig {
    pub arn: String,
}

//! CloudWatch: log groups, metric alarms, dashboards.

use std::collections::BTreeMap;

use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct CloudwatchLogGroup {
    pub name: String,
    pub retention_in_days: u32,
    pub kms_key_id: Option<String>,
}
resource!(CloudwatchLogGroup = "aws_cloudwatch_log_group" { arn, name });

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct CloudwatchMetricAlarm {
    pub alarm_name: String,
    pub alarm_description: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: BTreeMap<String, String>,
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: f64,
    pub comparison_operator: String,
    pub treat_missing_data: String,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
}
resource!(CloudwatchMetricAlarm = "aws_cloudwatch_metric_alarm" { arn, alarm_name });

#[derive(Debug, Clone, Serialize)]
pub struct CloudwatchDashboard {
    pub dashboard_name: String,
    pub dashboard_body: String,
}
resource!(CloudwatchDashboard = "aws_cloudwatch_dashboard" { dashboard_arn });

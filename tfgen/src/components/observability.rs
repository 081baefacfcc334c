//! Observability: alarms that page the alert topic (and so Slack), and one
//! dashboard with the API, the functions, the table and the pipeline.
//!
//! lambda_b has no error alarm on purpose: its Errors metric counts every
//! rejected order (a business outcome, alerted one by one); its real
//! failures fail the run and trip the failed-runs alarm.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::aws::cloudwatch::*;
use crate::aws::messaging::{SnsTopic, SqsQueue};
use crate::core::TfFile;
use crate::core::canonical::to_canonical_json;
use crate::core::{Handle, Ref};
use crate::env::REGION;

use super::Context;
use super::functions::Functions;
use super::orders_api::OrdersApi;

/// What the alarms and the dashboard watch.
pub struct Watched<'a> {
    pub api: &'a OrdersApi,
    pub functions: &'a Functions,
    pub table_name: Ref,
    pub state_machine_arn: Ref,
    pub schedule_dlq: &'a Handle<SqsQueue>,
    pub alerts: &'a Handle<SnsTopic>,
}

struct Alarm<'a> {
    logical: String,
    description: String,
    namespace: &'a str,
    metric: &'a str,
    dimensions: Vec<(&'a str, String)>,
    statistic: &'a str,
}

pub fn build(ctx: &Context, file: &mut TfFile, w: &Watched) {
    let mut alarms = vec![Alarm {
        logical: "orders_api_5xx".into(),
        description: "The orders API answered 5xx: orders may not have been stored".into(),
        namespace: "AWS/ApiGateway",
        metric: "5xx",
        dimensions: vec![("ApiId", w.api.api.id().into()), ("Stage", "$default".into())],
        statistic: "Sum",
    }];
    for (function, handle) in w.functions.iter() {
        let binary = function.binary();
        let watched = if function.errors_are_failures() {
            vec!["Errors", "Throttles"]
        } else {
            vec!["Throttles"]
        };
        for metric in watched {
            alarms.push(Alarm {
                logical: format!("{binary}_{}", metric.to_lowercase()),
                description: format!("{binary} reported {metric}"),
                namespace: "AWS/Lambda",
                metric,
                dimensions: vec![("FunctionName", handle.function_name().into())],
                statistic: "Sum",
            });
        }
    }
    for metric in ["WriteThrottleEvents", "ReadThrottleEvents"] {
        alarms.push(Alarm {
            logical: format!("orders_table_{}", metric.to_lowercase().replace("events", "")),
            description: format!("The orders table throttled requests ({metric})"),
            namespace: "AWS/DynamoDB",
            metric,
            dimensions: vec![("TableName", w.table_name.to_string())],
            statistic: "Sum",
        });
    }
    for (metric, what) in [("ExecutionsFailed", "failed"), ("ExecutionsTimedOut", "timed out")] {
        alarms.push(Alarm {
            logical: format!("pipeline_{}", metric.to_lowercase()),
            description: format!("A pipeline run {what}"),
            namespace: "AWS/States",
            metric,
            dimensions: vec![("StateMachineArn", w.state_machine_arn.to_string())],
            statistic: "Sum",
        });
    }
    alarms.push(Alarm {
        logical: "schedule_dead_letters".into(),
        description: "The scheduler could not start a pipeline run (see the dead-letter queue)".into(),
        namespace: "AWS/SQS",
        metric: "ApproximateNumberOfMessagesVisible",
        dimensions: vec![("QueueName", w.schedule_dlq.name().into())],
        statistic: "Maximum",
    });
    for alarm in alarms {
        let name = ctx.name(&alarm.logical.replace('_', "-"));
        file.resource(
            &alarm.logical,
            CloudwatchMetricAlarm {
                alarm_name: name,
                alarm_description: alarm.description,
                namespace: alarm.namespace.into(),
                metric_name: alarm.metric.into(),
                dimensions: alarm
                    .dimensions
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<BTreeMap<_, _>>(),
                statistic: alarm.statistic.into(),
                period: 300,
                evaluation_periods: 1,
                datapoints_to_alarm: Some(1),
                threshold: 0.0,
                comparison_operator: "GreaterThanThreshold".into(),
                // No traffic is not a failure.
                treat_missing_data: "notBreaching".into(),
                alarm_actions: vec![w.alerts.arn().into()],
                ok_actions: vec![w.alerts.arn().into()],
            },
        );
    }
    file.resource(
        "platform",
        CloudwatchDashboard {
            dashboard_name: ctx.name("platform"),
            dashboard_body: to_canonical_json(&dashboard(w)),
        },
    );
}

fn widget(title: &str, x: u32, y: u32, metrics: Vec<Value>) -> Value {
    json!({
        "type": "metric", "x": x, "y": y, "width": 12, "height": 6,
        "properties": { "title": title, "region": REGION, "stat": "Sum", "period": 300, "view": "timeSeries", "metrics": metrics },
    })
}

fn dashboard(w: &Watched) -> Value {
    let api = w.api.api.id().to_string();
    let api_metric = |name: &str| json!(["AWS/ApiGateway", name, "ApiId", api, "Stage", "$default"]);
    let per_function = |metric: &str| -> Vec<Value> {
        w.functions
            .iter()
            .map(|(_, f)| json!(["AWS/Lambda", metric, "FunctionName", f.function_name()]))
            .collect()
    };
    let table = w.table_name.to_string();
    let machine = w.state_machine_arn.to_string();
    let states = |metric: &str| json!(["AWS/States", metric, "StateMachineArn", machine]);
    json!({ "widgets": [
        widget("Orders API requests and errors", 0, 0, vec![api_metric("Count"), api_metric("4xx"), api_metric("5xx")]),
        widget("Orders API latency (p99)", 12, 0, vec![json!(["AWS/ApiGateway", "Latency", "ApiId", api, "Stage", "$default", { "stat": "p99" }])]),
        widget("Function errors", 0, 6, per_function("Errors")),
        widget("Function throttles", 12, 6, per_function("Throttles")),
        widget("Orders table writes and throttles", 0, 12, vec![
            json!(["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", table]),
            json!(["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table]),
        ]),
        widget("Pipeline runs", 12, 12, vec![
            states("ExecutionsStarted"), states("ExecutionsSucceeded"), states("ExecutionsFailed"), states("ExecutionsTimedOut"),
        ]),
    ]})
}

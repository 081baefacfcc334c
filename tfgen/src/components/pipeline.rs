//! The auction-results pipeline, a Standard state machine (JSONPath):
//!
//! 1. ask lambda_a for results; while it says "not ready", wait and ask
//!    again, at most `max_attempts` times, then alert and fail;
//! 2. for each order, run lambda_b with the order and the run's identity
//!    (so its S3 key is deterministic and a retry stores nothing twice);
//!    `OrderRejected` is a business outcome: alert and go on;
//! 3. transient Lambda errors are retried with backoff; anything else
//!    alerts and fails the run.

use serde_json::json;

use crate::asl::*;
use crate::aws::lambda::LambdaFunction;
use crate::aws::messaging::SnsTopic;
use crate::aws::sfn::*;
use crate::core::{Handle, Output, TfFile};
use crate::env::PipelineSettings;
use crate::policy::Statement;

use super::Context;
use super::blocks::{log_group, service_role};

pub use orders_domain::{ARCHIVE_WRITE_FAILED, ORDER_REJECTED};
/// Step Functions' names for Lambda failures that are worth retrying.
const TRANSIENT_LAMBDA_ERRORS: [&str; 5] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
];

/// What the definition refers to, as references or (for tests) literals.
pub struct Targets {
    pub lambda_a: String,
    pub lambda_b: String,
    pub alert_topic: String,
}

pub fn build(
    ctx: &Context,
    file: &mut TfFile,
    lambda_a: &Handle<LambdaFunction>,
    lambda_b: &Handle<LambdaFunction>,
    alerts: &Handle<SnsTopic>,
) -> Handle<SfnStateMachine> {
    let targets = Targets {
        lambda_a: lambda_a.arn().into(),
        lambda_b: lambda_b.arn().into(),
        alert_topic: alerts.arn().into(),
    };
    let definition = definition(&ctx.env.pipeline, &targets);
    let logs = log_group(
        ctx,
        file,
        "pipeline",
        format!("/aws/vendedlogs/states/{}", ctx.name("pipeline")),
    );
    // The definition invokes the unqualified functions (no version, no
    // alias), so the unqualified ARNs are all it needs.
    let functions = |f: &Handle<LambdaFunction>| [f.arn().to_string()];
    let role = service_role(
        ctx,
        file,
        "pipeline",
        "pipeline",
        "states.amazonaws.com",
        vec![
            Statement::allow("InvokePipelineFunctions", ["lambda:InvokeFunction"])
                .on(functions(lambda_a).into_iter().chain(functions(lambda_b))),
            Statement::allow("PublishAlerts", ["sns:Publish"]).on([alerts.arn()]),
            Statement::allow("EncryptAlerts", ["kms:GenerateDataKey", "kms:Decrypt"]).on([ctx.key.arn()]),
            // Log delivery and X-Ray APIs have no resource-level permissions.
            Statement::allow(
                "DeliverExecutionLogs",
                [
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
            )
            .on(["*"]),
            Statement::allow(
                "SendTraces",
                [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
            )
            .on(["*"]),
        ],
    );
    let machine = file.resource(
        "pipeline",
        SfnStateMachine {
            name: ctx.name("pipeline"),
            type_: "STANDARD".into(),
            role_arn: role.arn().into(),
            definition: definition.to_json(),
            logging_configuration: SfnLoggingConfiguration {
                log_destination: format!("{}:*", logs.arn()),
                include_execution_data: true,
                level: ctx.env.pipeline.log_level.as_str().into(),
            },
            tracing_configuration: SfnTracingConfiguration { enabled: true },
        },
    );
    file.output(
        "state_machine_arn",
        Output::new(machine.arn(), "The auction-results pipeline"),
    );
    machine
}

fn retry(errors: &[&str]) -> Retrier {
    Retrier {
        error_equals: errors.iter().map(|e| e.to_string()).collect(),
        interval_seconds: 2,
        max_attempts: 3,
        backoff_rate: 2.0,
        max_delay_seconds: 20,
        jitter_strategy: "FULL",
    }
}

/// A Lambda task; `payload` is the `Payload` (or `Payload.$`) parameter.
fn invoke(function: &str, payload: (&str, serde_json::Value), timeout: u32, flow: Flow) -> Task {
    let mut parameters = json!({ "FunctionName": function });
    parameters[payload.0] = payload.1;
    Task {
        resource: "arn:aws:states:::lambda:invoke".into(),
        parameters: Some(parameters),
        // The whole payload: picking a field that may be absent fails the run.
        result_selector: Some(json!({ "payload.$": "$.Payload" })),
        timeout_seconds: timeout,
        flow,
        ..Task::default()
    }
}

/// A Chatbot custom notification, so Slack shows a readable card; the
/// context fields carry the details (and are what tests look for).
fn alert(topic: &str, title: &str, description: serde_json::Value, context: serde_json::Value, flow: Flow) -> Task {
    Task {
        resource: "arn:aws:states:::sns:publish".into(),
        parameters: Some(json!({
            "TopicArn": topic,
            "Subject": title,
            "Message": {
                "version": "1.0",
                "source": "custom",
                "content": { "textType": "client-markdown", "title": title, "description.$": description },
                "metadata": { "enableCustomActions": false, "additionalContext": context },
            },
        })),
        result_path: Some(ResultPath::Discard),
        timeout_seconds: 30,
        retry: vec![retry(&[
            "SNS.SdkClientException",
            "SNS.InternalErrorException",
            "SNS.ThrottledException",
        ])],
        flow,
        ..Task::default()
    }
}

fn fail_run_on_anything(next: &str) -> Vec<Catcher> {
    vec![Catcher {
        error_equals: vec!["States.ALL".into()],
        result_path: Some(ResultPath::At("$.error".into())),
        next: next.into(),
    }]
}

/// The definition for the given settings and targets.
pub fn definition(settings: &PipelineSettings, targets: &Targets) -> StateMachine {
    let timeout = settings.task_timeout_seconds;
    let mut fetch = invoke(
        &targets.lambda_a,
        ("Payload", json!({ "attempt.$": "$.attempt" })),
        timeout,
        Flow::next("CountAttempt"),
    );
    fetch.result_path = Some(ResultPath::At("$.auction".into()));
    fetch.retry = vec![retry(&TRANSIENT_LAMBDA_ERRORS)];
    fetch.catch = fail_run_on_anything("AlertRunFailed");

    // lambda_b gets the order with the run's identity (see ItemSelector).
    let mut archive = invoke(&targets.lambda_b, ("Payload.$", json!("$")), timeout, Flow::End);
    let mut archive_retry = TRANSIENT_LAMBDA_ERRORS.to_vec();
    archive_retry.push(ARCHIVE_WRITE_FAILED);
    archive.retry = vec![retry(&archive_retry)];
    archive.catch = vec![Catcher {
        error_equals: vec![ORDER_REJECTED.into()],
        result_path: Some(ResultPath::At("$.error".into())),
        next: "AlertOrderRejected".into(),
    }];

    let per_order = ItemProcessor {
        start_at: "ArchiveOrder".into(),
        states: [
            ("ArchiveOrder".to_string(), State::Task(archive)),
            (
                "AlertOrderRejected".into(),
                State::Task(alert(
                    &targets.alert_topic,
                    "Auction order rejected",
                    json!("States.Format('Order {} was rejected in run {}: {}', States.JsonToString($.order), $.run_id, $.error.Cause)"),
                    json!({
                        "error.$": "$.error.Error",
                        "cause.$": "$.error.Cause",
                        "order.$": "States.JsonToString($.order)",
                        "run_id.$": "$.run_id",
                    }),
                    Flow::End,
                )),
            ),
        ]
        .into(),
        ..ItemProcessor::default()
    };

    let states = [
        (
            "StartAttempts",
            State::Pass(Pass {
                parameters: Some(json!({ "attempt": 0 })),
                flow: Flow::next("FetchAuctionResults"),
                ..Pass::default()
            }),
        ),
        ("FetchAuctionResults", State::Task(fetch)),
        (
            "CountAttempt",
            State::Pass(Pass {
                parameters: Some(json!({ "attempt.$": "States.MathAdd($.attempt, 1)", "auction.$": "$.auction" })),
                flow: Flow::next("ResultsReady"),
                ..Pass::default()
            }),
        ),
        (
            "ResultsReady",
            State::Choice(Choice {
                choices: vec![
                    ChoiceRule {
                        variable: "$.auction.payload.results".into(),
                        test: Comparison::BooleanEquals(true),
                        next: "ArchiveOrders".into(),
                    },
                    ChoiceRule {
                        variable: "$.attempt".into(),
                        test: Comparison::NumericGreaterThanEquals(settings.max_attempts),
                        next: "AlertGaveUp".into(),
                    },
                ],
                default: Some("WaitForResults".into()),
                ..Choice::default()
            }),
        ),
        (
            "WaitForResults",
            State::Wait(Wait {
                seconds: settings.wait_seconds,
                flow: Flow::next("FetchAuctionResults"),
                ..Wait::default()
            }),
        ),
        (
            "ArchiveOrders",
            State::Map(Map {
                items_path: "$.auction.payload.orders".into(),
                item_selector: Some(json!({
                    "order.$": "$$.Map.Item.Value",
                    "item_index.$": "$$.Map.Item.Index",
                    "run_id.$": "$$.Execution.Name",
                    "run_started_at.$": "$$.Execution.StartTime",
                })),
                max_concurrency: settings.max_concurrency,
                item_processor: per_order,
                result_path: Some(ResultPath::At("$.archived".into())),
                catch: fail_run_on_anything("AlertRunFailed"),
                flow: Flow::next("Done"),
                ..Map::default()
            }),
        ),
        ("Done", State::Succeed(Succeed {})),
        (
            "AlertGaveUp",
            State::Task(alert(
                &targets.alert_topic,
                "Auction results not ready",
                json!(
                    "States.Format('The auction platform had no results after {} attempts; run {} stops here.', $.attempt, $$.Execution.Name)"
                ),
                json!({ "error": "AuctionResultsNotReady", "attempts.$": "States.Format('{}', $.attempt)", "run_id.$": "$$.Execution.Name" }),
                Flow::next("GaveUp"),
            )),
        ),
        (
            "GaveUp",
            State::Fail(Fail {
                error: "AuctionResultsNotReady".into(),
                cause: format!("lambda_a reported no results {} times", settings.max_attempts),
            }),
        ),
        (
            "AlertRunFailed",
            State::Task(alert(
                &targets.alert_topic,
                "Auction pipeline run failed",
                json!("States.Format('Run {} failed: {} ({})', $$.Execution.Name, $.error.Error, $.error.Cause)"),
                json!({ "error.$": "$.error.Error", "cause.$": "$.error.Cause", "run_id.$": "$$.Execution.Name" }),
                Flow::next("RunFailed"),
            )),
        ),
        (
            "RunFailed",
            State::Fail(Fail {
                error: "PipelineRunFailed".into(),
                cause: "An unexpected error stopped the run; see the alert".into(),
            }),
        ),
    ];
    StateMachine {
        comment: "Fetch auction results, archive accepted orders, alert on rejected ones".into(),
        query_language: QueryLanguage::JSONPath,
        start_at: "StartAttempts".into(),
        timeout_seconds: settings.run_timeout_seconds,
        states: states
            .into_iter()
            .map(|(name, state)| (name.to_string(), state))
            .collect(),
    }
}

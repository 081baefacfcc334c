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
use crate::aws::messaging::SnsTopic;
use crate::aws::sfn::*;
use crate::core::{Handle, Output, TfFile};
use crate::env::PipelineSettings;
use crate::policy::{LOG_DELIVERY_ACTIONS, Statement};

use super::Context;
use super::blocks::{log_group, service_role};
use super::functions::{Function, Functions};

pub use orders_domain::{ARCHIVE_WRITE_FAILED, ORDER_REJECTED};
/// Step Functions' names for Lambda failures that are worth retrying.
const TRANSIENT_LAMBDA_ERRORS: [&str; 5] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
];

/// The functions [`Targets`] names: the pipeline may invoke these only.
const INVOKED: [Function; 2] = [Function::LambdaA, Function::LambdaB];

/// What the definition refers to, as references or (for tests) literals.
pub struct Targets {
    pub lambda_a: String,
    pub lambda_b: String,
    pub alert_topic: String,
}

/// The state machine and its definition as a value (for `tfgen asl`).
pub struct Pipeline {
    pub machine: Handle<SfnStateMachine>,
    pub definition: StateMachine,
}

pub fn build(ctx: &Context, file: &mut TfFile, functions: &Functions, alerts: &Handle<SnsTopic>) -> Pipeline {
    let targets = Targets {
        lambda_a: functions[Function::LambdaA].arn().into(),
        lambda_b: functions[Function::LambdaB].arn().into(),
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
    let invoked = INVOKED.iter().map(|&f| functions[f].arn().to_string());
    let role = service_role(
        ctx,
        file,
        "pipeline",
        "pipeline",
        "states.amazonaws.com",
        vec![
            Statement::allow("InvokePipelineFunctions", ["lambda:InvokeFunction"]).on(invoked),
            Statement::allow("PublishAlerts", ["sns:Publish"]).on([alerts.arn()]),
            Statement::allow("EncryptAlerts", ["kms:GenerateDataKey", "kms:Decrypt"]).on([ctx.key.arn()]),
            // Log delivery and X-Ray APIs have no resource-level permissions.
            Statement::allow("DeliverExecutionLogs", LOG_DELIVERY_ACTIONS).on(["*"]),
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
    Pipeline { machine, definition }
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

/// The definition for the given settings and targets: the results loop,
/// then the orders, with an alert before every way a run can fail.
pub fn definition(settings: &PipelineSettings, targets: &Targets) -> StateMachine {
    let states = [
        ("StartAttempts", start_attempts()),
        ("FetchAuctionResults", fetch_auction_results(settings, targets)),
        ("CountAttempt", count_attempt()),
        ("ResultsReady", results_ready(settings)),
        ("WaitForResults", wait_for_results(settings)),
        ("ArchiveOrders", archive_orders(settings, targets)),
        ("Done", State::Succeed(Succeed {})),
        ("AlertGaveUp", alert_gave_up(targets)),
        ("GaveUp", gave_up(settings)),
        ("AlertRunFailed", alert_run_failed(targets)),
        ("RunFailed", run_failed()),
    ];
    StateMachine {
        comment: "Fetch auction results, archive accepted orders, alert on rejected ones".into(),
        query_language: QueryLanguage::JSONPath,
        start_at: "StartAttempts".into(),
        timeout_seconds: settings.run_timeout_seconds,
        states: named(states),
    }
}

fn named<const N: usize>(states: [(&str, State); N]) -> std::collections::BTreeMap<String, State> {
    states
        .into_iter()
        .map(|(name, state)| (name.to_string(), state))
        .collect()
}

/// The attempt counter starts at 0.
fn start_attempts() -> State {
    State::Pass(Pass {
        parameters: Some(json!({ "attempt": 0 })),
        flow: Flow::next("FetchAuctionResults"),
        ..Pass::default()
    })
}

/// Asks lambda_a; transient errors retried, anything else fails the run.
fn fetch_auction_results(settings: &PipelineSettings, targets: &Targets) -> State {
    let mut fetch = invoke(
        &targets.lambda_a,
        ("Payload", json!({ "attempt.$": "$.attempt" })),
        settings.task_timeout_seconds,
        Flow::next("CountAttempt"),
    );
    fetch.result_path = Some(ResultPath::At("$.auction".into()));
    fetch.retry = vec![retry(&TRANSIENT_LAMBDA_ERRORS)];
    fetch.catch = fail_run_on_anything("AlertRunFailed");
    State::Task(fetch)
}

fn count_attempt() -> State {
    State::Pass(Pass {
        parameters: Some(json!({ "attempt.$": "States.MathAdd($.attempt, 1)", "auction.$": "$.auction" })),
        flow: Flow::next("ResultsReady"),
        ..Pass::default()
    })
}

/// Results ready: archive; attempts used up: alert and give up; else wait.
fn results_ready(settings: &PipelineSettings) -> State {
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
    })
}

fn wait_for_results(settings: &PipelineSettings) -> State {
    State::Wait(Wait {
        seconds: settings.wait_seconds,
        flow: Flow::next("FetchAuctionResults"),
        ..Wait::default()
    })
}

/// Every order through lambda_b, in parallel, each with the run's identity.
fn archive_orders(settings: &PipelineSettings, targets: &Targets) -> State {
    State::Map(Map {
        items_path: "$.auction.payload.orders".into(),
        item_selector: Some(json!({
            "order.$": "$$.Map.Item.Value",
            "item_index.$": "$$.Map.Item.Index",
            "run_id.$": "$$.Execution.Name",
            "run_started_at.$": "$$.Execution.StartTime",
        })),
        max_concurrency: settings.max_concurrency,
        item_processor: per_order(settings, targets),
        result_path: Some(ResultPath::At("$.archived".into())),
        catch: fail_run_on_anything("AlertRunFailed"),
        flow: Flow::next("Done"),
        ..Map::default()
    })
}

/// One order: archive it; a rejected one is alerted and the run goes on.
fn per_order(settings: &PipelineSettings, targets: &Targets) -> ItemProcessor {
    // lambda_b gets the order with the run's identity (see ItemSelector).
    let mut archive = invoke(
        &targets.lambda_b,
        ("Payload.$", json!("$")),
        settings.task_timeout_seconds,
        Flow::End,
    );
    let mut archive_retry = TRANSIENT_LAMBDA_ERRORS.to_vec();
    archive_retry.push(ARCHIVE_WRITE_FAILED);
    archive.retry = vec![retry(&archive_retry)];
    archive.catch = vec![Catcher {
        error_equals: vec![ORDER_REJECTED.into()],
        result_path: Some(ResultPath::At("$.error".into())),
        next: "AlertOrderRejected".into(),
    }];
    let alert_rejected = alert(
        &targets.alert_topic,
        "Auction order rejected",
        json!(
            "States.Format('Order {} was rejected in run {}: {}', States.JsonToString($.order), $.run_id, $.error.Cause)"
        ),
        json!({
            "error.$": "$.error.Error",
            "cause.$": "$.error.Cause",
            "order.$": "States.JsonToString($.order)",
            "run_id.$": "$.run_id",
        }),
        Flow::End,
    );
    ItemProcessor {
        start_at: "ArchiveOrder".into(),
        states: named([
            ("ArchiveOrder", State::Task(archive)),
            ("AlertOrderRejected", State::Task(alert_rejected)),
        ]),
        ..ItemProcessor::default()
    }
}

fn alert_gave_up(targets: &Targets) -> State {
    State::Task(alert(
        &targets.alert_topic,
        "Auction results not ready",
        json!(
            "States.Format('The auction platform had no results after {} attempts; run {} stops here.', $.attempt, $$.Execution.Name)"
        ),
        json!({ "error": "AuctionResultsNotReady", "attempts.$": "States.Format('{}', $.attempt)", "run_id.$": "$$.Execution.Name" }),
        Flow::next("GaveUp"),
    ))
}

fn gave_up(settings: &PipelineSettings) -> State {
    State::Fail(Fail {
        error: "AuctionResultsNotReady".into(),
        cause: format!("lambda_a reported no results {} times", settings.max_attempts),
    })
}

fn alert_run_failed(targets: &Targets) -> State {
    State::Task(alert(
        &targets.alert_topic,
        "Auction pipeline run failed",
        json!("States.Format('Run {} failed: {} ({})', $$.Execution.Name, $.error.Error, $.error.Cause)"),
        json!({ "error.$": "$.error.Error", "cause.$": "$.error.Cause", "run_id.$": "$$.Execution.Name" }),
        Flow::next("RunFailed"),
    ))
}

fn run_failed() -> State {
    State::Fail(Fail {
        error: "PipelineRunFailed".into(),
        cause: "An unexpected error stopped the run; see the alert".into(),
    })
}

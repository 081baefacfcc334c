//! Properties of the generated infrastructure that a reviewer would
//! otherwise have to check by reading JSON: the pipeline's shape, least
//! privilege, protected routes, names, and reference integrity.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tfgen::asl::{Comparison, State, StateMachine};
use tfgen::components::functions::Function;
use tfgen::components::pipeline::{ORDER_REJECTED, Targets, definition};
use tfgen::env::{EnvName, Environment};
use tfgen::synth::Stack;

/// Every resource of an environment: (type, name) → rendered body.
fn resources(env: EnvName) -> BTreeMap<(String, String), Value> {
    common::resources(Stack::Env(env))
}

fn of_type(env: EnvName, kind: &str) -> Vec<(String, Value)> {
    common::of_type(Stack::Env(env), kind)
}

fn machine(env: EnvName) -> StateMachine {
    let targets = Targets {
        lambda_a: "LAMBDA_A".into(),
        lambda_b: "LAMBDA_B".into(),
        alert_topic: "TOPIC".into(),
    };
    definition(&Environment::named(env).pipeline, &targets)
}

/// Every state in the machine, including the Map's item processor.
fn all_states(machine: &StateMachine) -> Vec<(&str, &State)> {
    let mut found = Vec::new();
    for (name, state) in &machine.states {
        found.push((name.as_str(), state));
        if let State::Map(map) = state {
            found.extend(map.item_processor.states.iter().map(|(n, s)| (n.as_str(), s)));
        }
    }
    found
}

#[test]
fn every_transition_of_the_pipeline_resolves_in_every_environment() {
    for env in EnvName::ALL {
        machine(env).validate().unwrap_or_else(|e| panic!("{env}: {e}"));
    }
}

#[test]
fn the_results_loop_is_bounded_by_the_attempt_counter() {
    for env in EnvName::ALL {
        let m = machine(env);
        let max = Environment::named(env).pipeline.max_attempts;
        // Find the loop: states from which the start of the fetch is reachable again.
        let successors: BTreeMap<&str, Vec<&str>> =
            m.states.iter().map(|(n, s)| (n.as_str(), s.successors())).collect();
        let reaches = |from: &str, to: &str| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![from];
            while let Some(n) = stack.pop() {
                for &next in &successors[n] {
                    if next == to {
                        return true;
                    }
                    if seen.insert(next) {
                        stack.push(next);
                    }
                }
            }
            false
        };
        let in_loop: Vec<&str> = m.states.keys().map(String::as_str).filter(|n| reaches(n, n)).collect();
        assert!(!in_loop.is_empty(), "{env}: the results loop is missing");
        // The loop counts attempts ...
        let counts = in_loop.iter().any(|n| match &m.states[*n] {
            State::Pass(p) => p
                .parameters
                .as_ref()
                .is_some_and(|v| v["attempt.$"] == "States.MathAdd($.attempt, 1)"),
            _ => false,
        });
        assert!(counts, "{env}: no state in the loop increments $.attempt");
        // ... and leaves it for good once the counter reaches the bound.
        let exits = in_loop.iter().any(|n| match &m.states[*n] {
            State::Choice(c) => c.choices.iter().any(|rule| {
                rule.variable == "$.attempt"
                    && rule.test == Comparison::NumericGreaterThanEquals(max)
                    && !in_loop.contains(&rule.next.as_str())
                    && !reaches(&rule.next, "FetchAuctionResults")
            }),
            _ => false,
        });
        assert!(exits, "{env}: no exit from the loop at {max} attempts");
    }
}

#[test]
fn order_rejected_is_caught_only_around_lambda_b() {
    for env in EnvName::ALL {
        let m = machine(env);
        let mut catching = Vec::new();
        for (name, state) in all_states(&m) {
            let catchers = match state {
                State::Task(t) => &t.catch,
                State::Map(map) => &map.catch,
                _ => continue,
            };
            if catchers
                .iter()
                .any(|c| c.error_equals.iter().any(|e| e == ORDER_REJECTED))
            {
                let State::Task(task) = state else {
                    panic!("{name} catches {ORDER_REJECTED} but is not a task")
                };
                assert_eq!(
                    task.parameters.as_ref().unwrap()["FunctionName"],
                    "LAMBDA_B",
                    "{env}: {name}"
                );
                catching.push(name);
            }
        }
        assert_eq!(catching, vec!["ArchiveOrder"], "{env}");
    }
}

#[test]
fn every_task_has_a_timeout_within_the_run_timeout() {
    for env in EnvName::ALL {
        let m = machine(env);
        assert!(m.timeout_seconds > 0);
        for (name, state) in all_states(&m) {
            if let State::Task(task) = state {
                assert!(
                    task.timeout_seconds > 0 && task.timeout_seconds < m.timeout_seconds,
                    "{env}: {name}"
                );
            }
        }
    }
}

/// Actions that have no resource-level permissions in IAM, or only list
/// what exists: the only ones allowed on `"*"`.
const ACCOUNT_LEVEL_ACTIONS: [&str; 20] = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricWidgetImage",
    "sts:GetCallerIdentity",
    "kms:ListAliases",
    "sqs:ListQueues",
    "cognito-idp:ListUserPools",
    "chatbot:DescribeSlackChannelConfigurations",
];

fn identity_policies(env: EnvName) -> Vec<(String, Value)> {
    let mut policies = Vec::new();
    for kind in ["aws_iam_role_policy", "aws_iam_policy"] {
        for (name, body) in of_type(env, kind) {
            let doc: Value = serde_json::from_str(body["policy"].as_str().unwrap()).unwrap();
            policies.push((format!("{kind}.{name}"), doc));
        }
    }
    policies
}

fn as_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        other => panic!("unexpected policy element {other}"),
    }
}

#[test]
fn no_policy_grants_wildcard_actions_or_data_access_on_any_resource() {
    for env in EnvName::ALL {
        let policies = identity_policies(env);
        // At least the three functions, the pipeline and the scheduler.
        assert!(policies.len() >= 5, "{env}: expected every role to have its own policy");
        for (address, doc) in policies {
            for statement in doc["Statement"].as_array().unwrap() {
                let actions = as_list(&statement["Action"]);
                let resources = as_list(&statement["Resource"]);
                for action in &actions {
                    assert!(
                        action != "*" && !action.ends_with(":*"),
                        "{env} {address}: wildcard action {action}"
                    );
                }
                if resources.iter().any(|r| r == "*") {
                    for action in &actions {
                        assert!(
                            ACCOUNT_LEVEL_ACTIONS.contains(&action.as_str()),
                            "{env} {address}: {action} on every resource"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_orders_route_requires_a_jwt_with_the_write_scope() {
    for env in EnvName::ALL {
        let routes = of_type(env, "aws_apigatewayv2_route");
        assert_eq!(routes.len(), 1, "{env}");
        let authorizers: Vec<String> = of_type(env, "aws_apigatewayv2_authorizer")
            .into_iter()
            .map(|(n, _)| format!("${{aws_apigatewayv2_authorizer.{n}.id}}"))
            .collect();
        for (name, route) in routes {
            assert_eq!(route["route_key"], "POST /orders");
            assert_eq!(route["authorization_type"], "JWT", "{env}: route {name}");
            assert!(
                authorizers.contains(&route["authorizer_id"].as_str().unwrap().to_string()),
                "{env}: route {name}"
            );
            assert_eq!(
                route["authorization_scopes"],
                serde_json::json!(["${aws_cognito_resource_server.orders.identifier}/write"])
            );
        }
    }
}

#[test]
fn every_named_resource_carries_project_and_environment() {
    for env in EnvName::ALL {
        let marker = format!("auction-{env}-");
        for ((kind, name), body) in resources(env) {
            for field in [
                "name",
                "function_name",
                "alarm_name",
                "dashboard_name",
                "configuration_name",
                "bucket",
            ] {
                let Some(value) = body.get(field).and_then(Value::as_str) else {
                    continue;
                };
                // A reference to a named resource, a policy's name within its
                // role, or the HTTP API's reserved default stage.
                if value.starts_with("${") || kind == "aws_iam_role_policy" || value == "$default" {
                    continue;
                }
                assert!(value.contains(&marker), "{env}: {kind}.{name}.{field} = {value}");
            }
        }
    }
}

#[test]
fn every_interpolation_refers_to_something_defined() {
    for env in EnvName::ALL {
        let all = resources(env);
        let files = Stack::Env(env).render().unwrap();
        let text: String = files.values().cloned().collect();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("${") {
            // `$${` is an escaped literal, not an interpolation.
            if start > 0 && rest.as_bytes()[start - 1] == b'$' {
                rest = &rest[start + 2..];
                continue;
            }
            let expression = &rest[start + 2..];
            let end = expression.find('}').unwrap();
            let expression = &expression[..end];
            let parts: Vec<&str> = expression.split('.').collect();
            match parts.as_slice() {
                ["var", _] | ["data", "aws_caller_identity", "current", "account_id"] => {}
                [kind, name, _attr] if kind.starts_with("aws_") => {
                    assert!(
                        all.contains_key(&(kind.to_string(), name.to_string())),
                        "{env}: dangling ${{{expression}}}"
                    );
                }
                _ if expression.starts_with("filebase64sha256(") => {}
                _ => panic!("{env}: unexpected interpolation ${{{expression}}}"),
            }
            rest = &rest[start + 2 + end..];
        }
    }
}

/// A function declared in `Function` gets everything without further edits:
/// its zip, role, log group, output, alarms and dashboard lines.
#[test]
fn every_declared_function_is_deployed_watched_and_listed() {
    for env in EnvName::ALL {
        let all = resources(env);
        let dashboard = of_type(env, "aws_cloudwatch_dashboard")
            .pop()
            .map(|(_, body)| body["dashboard_body"].as_str().unwrap().to_string())
            .unwrap();
        let outputs = Stack::Env(env).configuration().unwrap();
        let outputs = &outputs.files()["functions"];
        for function in Function::ALL {
            let binary = function.binary();
            let lambda = &all[&("aws_lambda_function".to_string(), binary.to_string())];
            assert_eq!(lambda["handler"], binary, "{env}");
            assert!(
                lambda["filename"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/{binary}/bootstrap.zip"))
            );
            assert!(
                all.contains_key(&("aws_iam_role".to_string(), binary.to_string())),
                "{env} {binary}: role"
            );
            assert!(
                all.contains_key(&("aws_cloudwatch_log_group".to_string(), binary.to_string())),
                "{env} {binary}: logs"
            );
            assert!(
                all.contains_key(&("aws_cloudwatch_metric_alarm".to_string(), format!("{binary}_throttles"))),
                "{env} {binary}: throttles alarm"
            );
            assert!(
                outputs.outputs().contains_key(&function.output_name()),
                "{env} {binary}: output"
            );
            let name = format!("aws_lambda_function.{binary}.function_name");
            assert!(dashboard.contains(&name), "{env}: dashboard lacks {name}");
        }
    }
}

#[test]
fn every_component_is_present_in_dev_and_local_leaves_out_what_the_emulator_cannot_hold() {
    let files = |env| Stack::Env(env).render().unwrap().into_keys().collect::<Vec<_>>();
    let components = [
        "alerts",
        "encryption",
        "functions",
        "observability",
        "orders_api",
        "orders_table",
        "pipeline",
        "providers",
        "results_bucket",
        "schedule",
        "versions",
    ];
    let mut expected: Vec<String> = components.iter().map(|c| format!("{c}.tf.json")).collect();
    // The API's contract, beside the Terraform (components/openapi.rs).
    expected.push("openapi.json".into());
    expected.sort();
    // Delivery is its own configuration (terraform/delivery), not a part of
    // the environments it deploys.
    assert_eq!(files(EnvName::Dev), expected);
    assert_eq!(files(EnvName::Local), expected);
    for env in EnvName::ALL {
        for kind in [
            "aws_codepipeline",
            "aws_codebuild_project",
            "aws_codeconnections_connection",
            "aws_codestarnotifications_notification_rule",
        ] {
            assert!(of_type(env, kind).is_empty(), "{env}: {kind}");
        }
    }
}

#[test]
fn prod_keeps_logs_for_a_year_and_protects_its_data() {
    for (name, group) in of_type(EnvName::Prod, "aws_cloudwatch_log_group") {
        assert!(group["retention_in_days"].as_u64().unwrap() >= 365, "{name}");
    }
    let table = &of_type(EnvName::Prod, "aws_dynamodb_table")[0].1;
    assert_eq!(table["deletion_protection_enabled"], true);
    assert_eq!(table["lifecycle"]["prevent_destroy"], true);
}

//! The delivery configuration as a cloud engineer would review it: one
//! promotion path, integrity from commit to apply, notifications people
//! actually receive, deploy roles that cannot escalate or cross
//! environments (issue 11 findings 1, 2, 3, 5; issue 9 findings 1-7).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a panic is the failure message"
)]

mod common;

use serde_json::Value;
use tfgen::env::{EnvName, Environment};
use tfgen::synth::Stack;

use common::{of_type, resources};

fn one(stack: Stack, kind: &str, name: &str) -> Value {
    resources(stack)
        .remove(&(kind.to_string(), name.to_string()))
        .unwrap_or_else(|| panic!("{kind}.{name} missing"))
}

fn pipeline() -> Value {
    let pipelines = of_type(Stack::Delivery, "aws_codepipeline");
    assert_eq!(pipelines.len(), 1, "exactly one pipeline deploys every environment");
    pipelines.into_iter().next().unwrap().1
}

fn stages() -> Vec<(String, Value)> {
    pipeline()["stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let actions = s["action"].as_array().unwrap();
            assert_eq!(actions.len(), 1, "one action per stage");
            (s["name"].as_str().unwrap().to_string(), actions[0].clone())
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Null => vec![],
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        other => panic!("unexpected {other}"),
    }
}

// ----- finding 1: one promotion path --------------------------------------

#[test]
fn one_push_runs_build_once_then_dev_then_prod_behind_an_approval() {
    let names: Vec<String> = stages().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Source",
            "Build",
            "Plan-dev",
            "Apply-dev",
            "Plan-prod",
            "Approve-prod",
            "Apply-prod"
        ]
    );
    let p = pipeline();
    assert_eq!(p["pipeline_type"], "V2");
    assert_eq!(p["execution_mode"], "QUEUED");
    let triggers = p["trigger"].as_array().unwrap();
    assert_eq!(
        triggers.len(),
        1,
        "a single push trigger: prod has no trigger of its own"
    );
    assert_eq!(triggers[0]["git_configuration"]["source_action_name"], "Source");
    let sources: Vec<_> = stages()
        .into_iter()
        .filter(|(_, a)| a["category"] == "Source")
        .collect();
    assert_eq!(sources.len(), 1, "one source action");
}

#[test]
fn prod_is_planned_from_the_artifact_dev_applied_never_rebuilt() {
    let stages = stages();
    let builds: Vec<_> = stages
        .iter()
        .filter(|(_, a)| strings(&a["output_artifacts"]).contains(&"built".to_string()))
        .collect();
    assert_eq!(builds.len(), 1, "the zips are built once");
    assert_eq!(builds[0].0, "Build");
    let inputs = |stage: &str| -> Vec<String> {
        strings(&stages.iter().find(|(n, _)| n == stage).unwrap().1["input_artifacts"])
    };
    assert_eq!(inputs("Plan-dev"), ["source", "built"]);
    assert_eq!(inputs("Plan-prod"), ["source", "built"]);
    assert_eq!(inputs("Apply-dev"), ["source", "plan_dev"]);
    assert_eq!(inputs("Apply-prod"), ["source", "plan_prod"]);
    // Nothing writes `built` after Build, so prod plans what dev applied.
    let writers = stages
        .iter()
        .filter(|(_, a)| strings(&a["output_artifacts"]).contains(&"built".to_string()))
        .count();
    assert_eq!(writers, 1);
}

#[test]
fn a_later_environment_is_gated_by_the_one_before_it() {
    use tfgen::components::delivery::stages::{Stage, promotion_path};
    // A staging environment inserted between dev and prod, with approval.
    let mut staging = Environment::named(EnvName::Dev);
    staging.delivery = Some(tfgen::env::DeliverySettings {
        requires_approval: true,
    });
    let envs = [
        Environment::named(EnvName::Dev),
        staging,
        Environment::named(EnvName::Prod),
    ];
    let path = promotion_path(&envs);
    let names: Vec<String> = path.iter().map(|s| s.name()).collect();
    assert_eq!(names[..2], ["Source", "Build"]);
    // Every Plan comes after the previous environment's Apply.
    for (i, stage) in path.iter().enumerate() {
        if let Stage::Plan(_) = stage {
            assert!(matches!(path[i - 1], Stage::Apply(_) | Stage::Build), "{names:?}");
        }
    }
    assert_eq!(path.iter().filter(|s| matches!(s, Stage::Approve(_))).count(), 2);
}

// ----- finding 5: integrity from commit to apply --------------------------

#[test]
fn every_buildspec_and_script_comes_from_the_commit() {
    let projects = of_type(Stack::Delivery, "aws_codebuild_project");
    for (_, action) in stages() {
        if action["provider"] != "CodeBuild" {
            continue;
        }
        let inputs = strings(&action["input_artifacts"]);
        // CodeBuild reads the buildspec (and the scripts it calls) from the
        // primary source: the first input when there are several.
        let primary = match inputs.as_slice() {
            [only] => only.clone(),
            _ => action["configuration"]["PrimarySource"].as_str().unwrap().to_string(),
        };
        assert_eq!(primary, "source", "{}: primary source", action["name"]);
        let project_ref = action["configuration"]["ProjectName"].as_str().unwrap();
        let (_, project) = projects
            .iter()
            .find(|(n, _)| project_ref == format!("${{aws_codebuild_project.{n}.name}}"))
            .unwrap();
        let buildspec = project["source"]["buildspec"].as_str().unwrap();
        assert!(
            buildspec.starts_with(".codebuild/") && buildspec.ends_with(".yml"),
            "{buildspec}"
        );
        assert!(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .join(buildspec)
                .is_file(),
            "{buildspec}"
        );
    }
}

#[test]
fn apply_gets_the_digest_plan_exported_and_the_approval_shows_it() {
    let stages = stages();
    let action = |name: &str| stages.iter().find(|(n, _)| n == name).unwrap().1.clone();
    for env in ["dev", "prod"] {
        let plan = action(&format!("Plan-{env}"));
        assert_eq!(plan["namespace"], format!("plan_{env}"));
        let apply = action(&format!("Apply-{env}"));
        let variables: Value =
            serde_json::from_str(apply["configuration"]["EnvironmentVariables"].as_str().unwrap()).unwrap();
        assert_eq!(variables[0]["name"], "EXPECTED_PLAN_SHA256");
        assert_eq!(variables[0]["value"], format!("#{{plan_{env}.PLAN_SHA256}}"));
    }
    let approve = action("Approve-prod");
    assert!(
        approve["configuration"]["CustomData"]
            .as_str()
            .unwrap()
            .contains("#{plan_prod.PLAN_SHA256}")
    );
}

#[test]
fn each_stage_writes_only_its_own_artifact() {
    let policy = |role: &str| -> Value {
        let body = one(Stack::Delivery, "aws_iam_role_policy", role);
        serde_json::from_str(body["policy"].as_str().unwrap()).unwrap()
    };
    let writes = |role: &str| -> Vec<String> {
        policy(role)["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| strings(&s["Action"]).contains(&"s3:PutObject".to_string()))
            .flat_map(|s| strings(&s["Resource"]))
            .filter(|r| r.contains("aws_s3_bucket.artifacts"))
            .collect()
    };
    assert_eq!(
        writes("delivery_build"),
        ["${aws_s3_bucket.artifacts.arn}/auction-delivery/built*"]
    );
    assert_eq!(
        writes("dev_deploy_plan"),
        ["${aws_s3_bucket.artifacts.arn}/auction-delivery/plan_dev*"]
    );
    assert_eq!(
        writes("prod_deploy_plan"),
        ["${aws_s3_bucket.artifacts.arn}/auction-delivery/plan_prod*"]
    );
    assert!(writes("prod_deploy_apply").is_empty());
}

#[test]
fn artifacts_expire_current_versions_too() {
    let lifecycle = one(Stack::Delivery, "aws_s3_bucket_lifecycle_configuration", "artifacts");
    let days: Vec<u64> = lifecycle["rule"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["expiration"]["days"].as_u64())
        .collect();
    assert_eq!(days.len(), 1, "{lifecycle}");
    assert!(days[0] <= 30);
}

// ----- findings 2 and 3: notifications people receive ---------------------

#[test]
fn approvals_and_failures_reach_the_topic_as_supported_events() {
    let rules = of_type(Stack::Delivery, "aws_codestarnotifications_notification_rule");
    assert_eq!(rules.len(), 1);
    let rule = &rules[0].1;
    assert_eq!(rule["resource"], "${aws_codepipeline.delivery.arn}");
    let events = strings(&rule["event_type_ids"]);
    for event in [
        "codepipeline-pipeline-manual-approval-needed",
        "codepipeline-pipeline-pipeline-execution-failed",
    ] {
        assert!(events.contains(&event.to_string()), "{event}");
    }
    assert_eq!(rule["target"][0]["address"], "${aws_sns_topic.notifications.arn}");
    // CodePipeline's own approval JSON, which Chatbot drops, is not used.
    for (_, action) in stages() {
        assert!(action["configuration"].get("NotificationArn").is_none());
    }
    // The topic lets CodeStar Notifications publish; its key lets it encrypt.
    let topic_policy = one(Stack::Delivery, "aws_sns_topic_policy", "notifications");
    assert!(
        topic_policy["policy"]
            .as_str()
            .unwrap()
            .contains("codestar-notifications.amazonaws.com")
    );
    let key = one(Stack::Delivery, "aws_kms_key", "delivery");
    assert!(
        key["policy"]
            .as_str()
            .unwrap()
            .contains("codestar-notifications.amazonaws.com")
    );
}

#[test]
fn no_chatbot_channel_without_real_slack_ids() {
    // env.rs and DELIVERY carry no Slack ids until the workspace is
    // authorized: no Chatbot resource can fail the first apply.
    for stack in [Stack::Env(EnvName::Dev), Stack::Env(EnvName::Prod), Stack::Delivery] {
        assert!(
            of_type(stack, "aws_chatbot_slack_channel_configuration").is_empty(),
            "{stack:?}"
        );
    }
}

// ----- issue 9 findings: the deploy roles ---------------------------------

fn role_policy(logical: &str) -> Vec<Value> {
    let body = one(Stack::Delivery, "aws_iam_role_policy", logical);
    let doc: Value = serde_json::from_str(body["policy"].as_str().unwrap()).unwrap();
    doc["Statement"].as_array().unwrap().clone()
}

fn allows(statements: &[Value], action: &str) -> Vec<Value> {
    statements
        .iter()
        .filter(|s| s["Effect"] == "Allow" && strings(&s["Action"]).contains(&action.to_string()))
        .cloned()
        .collect()
}

fn denies(statements: &[Value], action: &str) -> Vec<Value> {
    statements
        .iter()
        .filter(|s| {
            s["Effect"] == "Deny"
                && strings(&s["Action"])
                    .iter()
                    .any(|a| a == action || a == &format!("{}:*", action.split(':').next().unwrap()))
        })
        .cloned()
        .collect()
}

#[test]
fn the_roles_carry_the_contract_names() {
    let names: Vec<String> = of_type(Stack::Delivery, "aws_iam_role")
        .into_iter()
        .map(|(_, r)| r["name"].as_str().unwrap().to_string())
        .collect();
    for name in [
        "auction-dev-deploy-plan",
        "auction-dev-deploy-apply",
        "auction-prod-deploy-plan",
        "auction-prod-deploy-apply",
        "auction-delivery-pipeline",
        "auction-delivery-build",
    ] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    let policies: Vec<String> = of_type(Stack::Delivery, "aws_iam_policy")
        .into_iter()
        .map(|(_, p)| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(policies.contains(&"auction-dev-boundary".to_string()));
    assert!(policies.contains(&"auction-prod-boundary".to_string()));
}

#[test]
fn finding_1_and_2_log_groups_and_access_log_delivery_are_readable_and_manageable() {
    for env in ["dev", "prod"] {
        let plan = role_policy(&format!("{env}_deploy_plan"));
        let apply = role_policy(&format!("{env}_deploy_apply"));
        for statements in [&plan, &apply] {
            let found = allows(statements, "logs:DescribeLogGroups");
            assert!(found.iter().any(|s| strings(&s["Resource"]) == ["*"]), "{env}");
        }
        for action in [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
        ] {
            assert!(
                allows(&apply, action).iter().any(|s| strings(&s["Resource"]) == ["*"]),
                "{env}: {action}"
            );
        }
    }
}

#[test]
fn finding_3_the_pipeline_role_uses_the_connection_and_no_env_role_manages_the_pipeline() {
    let pipeline_role = role_policy("delivery_pipeline");
    for action in ["codeconnections:UseConnection", "codestar-connections:UseConnection"] {
        assert!(!allows(&pipeline_role, action).is_empty(), "{action}");
    }
    // The pipeline is applied by an administrator: no deploy role may
    // create or change it, nor pass its connection.
    for env in ["dev", "prod"] {
        for statement in role_policy(&format!("{env}_deploy_apply")) {
            for action in strings(&statement["Action"]) {
                assert!(
                    !action.starts_with("codepipeline:")
                        && !action.starts_with("codebuild:")
                        && !action.starts_with("codeconnections:")
                        && !action.starts_with("codestar-"),
                    "{env} apply role: {action}"
                );
            }
        }
    }
}

#[test]
fn finding_4_actions_that_take_no_resource_are_granted_on_star() {
    let apply = role_policy("dev_deploy_apply");
    let plan = role_policy("dev_deploy_plan");
    for (statements, action) in [
        (&apply, "kms:CreateKey"),
        (&apply, "cognito-idp:CreateUserPool"),
        (&apply, "chatbot:CreateSlackChannelConfiguration"),
        (&plan, "cognito-idp:DescribeUserPoolDomain"),
        (&plan, "chatbot:DescribeSlackChannelConfigurations"),
    ] {
        let found = allows(statements, action);
        assert!(!found.is_empty(), "{action}");
        for s in found {
            assert_eq!(strings(&s["Resource"]), ["*"], "{action}");
        }
    }
}

#[test]
fn finding_5_the_apply_role_cannot_escalate() {
    let apply = role_policy("dev_deploy_apply");
    let boundary = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:policy/auction-dev-boundary";
    for action in [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePermissionsBoundary",
    ] {
        for s in allows(&apply, action) {
            assert_eq!(
                s["Condition"]["StringEquals"]["iam:PermissionsBoundary"][0], boundary,
                "{action} allowed without the boundary: {s}"
            );
        }
    }
    for s in allows(&apply, "iam:PassRole") {
        let services = strings(&s["Condition"]["StringEquals"]["iam:PassedToService"]);
        assert!(
            !services.is_empty() && !services.iter().any(|x| x.contains("codebuild")),
            "{s}"
        );
    }
    let deny_on = |action: &str, resource: &str| {
        denies(&apply, action)
            .iter()
            .any(|s| strings(&s["Resource"]).iter().any(|r| r.ends_with(resource)))
    };
    for action in [
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PassRole",
    ] {
        assert!(
            deny_on(action, ":role/auction-*-deploy-*"),
            "{action} on the deploy roles"
        );
        assert!(
            deny_on(action, ":role/auction-delivery-*"),
            "{action} on the delivery roles"
        );
    }
    for action in [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:SetDefaultPolicyVersion",
    ] {
        assert!(
            deny_on(action, ":policy/auction-*-boundary"),
            "{action} on the boundaries"
        );
    }
    assert!(deny_on("iam:DeleteRolePermissionsBoundary", "*"));
    let without_boundary = denies(&apply, "iam:CreateRole");
    assert!(
        without_boundary
            .iter()
            .any(|s| s["Condition"]["StringNotEquals"]["iam:PermissionsBoundary"][0] == boundary),
        "a role without the boundary must be denied explicitly"
    );
}

#[test]
fn the_boundary_lets_an_environments_roles_touch_only_that_environment() {
    let policy = one(Stack::Delivery, "aws_iam_policy", "dev_boundary");
    let doc: Value = serde_json::from_str(policy["policy"].as_str().unwrap()).unwrap();
    for s in doc["Statement"].as_array().unwrap() {
        if s["Effect"] != "Allow" {
            continue;
        }
        let resources = strings(&s["Resource"]);
        if resources == ["*"] {
            for action in strings(&s["Action"]) {
                assert!(!action.ends_with(":*"), "{action} on every resource");
            }
            continue;
        }
        let tagged = s["Condition"]["StringEquals"]["aws:ResourceTag/Environment"] == serde_json::json!(["dev"]);
        for r in resources {
            assert!(r.contains("auction-dev-") || tagged, "boundary allows {r}");
            assert!(!r.contains("prod"), "{r}");
        }
    }
    assert!(
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Effect"] == "Deny" && strings(&s["Action"]) == ["iam:*"])
    );
}

#[test]
fn finding_6_id_named_resources_are_isolated_by_the_environment_tag() {
    for (env, other) in [("dev", "prod"), ("prod", "dev")] {
        for role in ["plan", "apply"] {
            let statements = role_policy(&format!("{env}_deploy_{role}"));
            for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
                let resources = strings(&s["Resource"]);
                let by_id = resources
                    .iter()
                    .any(|r| r.ends_with(":userpool/*") || r.ends_with("::/apis/*") || r.ends_with(":key/*"));
                if !by_id {
                    continue;
                }
                let condition = &s["Condition"];
                let scoped = condition["StringEquals"]["aws:ResourceTag/Environment"] == serde_json::json!([env])
                    || condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
                        == serde_json::json!(["alias/auction-terraform-state"])
                    // Describing DynamoDB's AWS-managed key, shared by every environment.
                    || (condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"]
                        == serde_json::json!(["alias/aws/dynamodb"])
                        && s["Action"] == serde_json::json!(["kms:DescribeKey"]));
                assert!(
                    scoped,
                    "{env} {role}: {} on {resources:?} is not scoped to {env}",
                    s["Sid"]
                );
            }
            if role == "apply" {
                let creates = allows(&statements, "kms:CreateKey");
                assert_eq!(
                    creates[0]["Condition"]["StringEquals"]["aws:RequestTag/Environment"],
                    serde_json::json!([env])
                );
                let denied = denies(&statements, "kms:ScheduleKeyDeletion");
                assert!(
                    denied.iter().any(
                        |s| strings(&s["Condition"]["StringEquals"]["aws:ResourceTag/Environment"])
                            .contains(&other.to_string())
                    ),
                    "{env}: nothing tagged {other}"
                );
            }
            // Named resources carry the environment in their ARN.
            for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
                for r in strings(&s["Resource"]) {
                    assert!(!r.contains(&format!("auction-{other}-")), "{env} {role}: {r}");
                }
            }
        }
    }
}

#[test]
fn finding_7_only_apply_writes_the_state() {
    let state =
        // The state bucket of the account the deploy roles work in (state contract).
        |env: &str| format!("arn:aws:s3:::auction-terraform-state-${{data.aws_caller_identity.current.account_id}}-eu-west-1/auction/{env}/terraform.tfstate");
    for env in ["dev", "prod"] {
        let plan = role_policy(&format!("{env}_deploy_plan"));
        let apply = role_policy(&format!("{env}_deploy_apply"));
        let grants = |statements: &[Value], action: &str, resource: &str| {
            allows(statements, action)
                .iter()
                .any(|s| strings(&s["Resource"]).contains(&resource.to_string()))
        };
        assert!(grants(&plan, "s3:GetObject", &state(env)));
        assert!(
            !grants(&plan, "s3:PutObject", &state(env)),
            "{env}: the plan role writes state"
        );
        assert!(!grants(&plan, "s3:DeleteObject", &state(env)));
        assert!(grants(&plan, "s3:PutObject", &format!("{}.tflock", state(env))));
        assert!(grants(&plan, "s3:DeleteObject", &format!("{}.tflock", state(env))));
        assert!(grants(&apply, "s3:PutObject", &state(env)));
    }
}

// ----- issue 11 finding 7: what the pipeline writes down ------------------

#[test]
fn prod_logs_only_failed_states_of_its_runs() {
    let machine = |env| one(Stack::Env(env), "aws_sfn_state_machine", "pipeline");
    let logging = &machine(EnvName::Prod)["logging_configuration"];
    assert_eq!(
        logging["level"], "ERROR",
        "prod logs every order of every run: {logging}"
    );
    assert_eq!(
        logging["include_execution_data"], true,
        "a logged failure shows its input"
    );
    assert_eq!(machine(EnvName::Dev)["logging_configuration"]["level"], "ALL");
}

#[test]
fn the_readme_says_what_the_logs_and_the_rejected_order_alert_carry() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        !readme.contains("never whole payloads"),
        "README promises what the code does not do"
    );
    assert!(
        readme.contains("in prod only failed states"),
        "README must say what prod's state machine logs"
    );
    assert!(
        readme.contains("the order as lambda_a returned it"),
        "README must say what the order-rejected alert carries"
    );
}

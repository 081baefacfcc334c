//! The three Rust functions: arm64 `provided.al2023` zips built by
//! cargo-lambda, each with its own role (only its own actions), log group
//! (retention, encryption) and X-Ray tracing.

use std::collections::BTreeMap;

use orders_domain::ARCHIVE_KEY_PREFIX;
use serde_json::json;

use crate::aws::dynamodb::DynamodbTable;
use crate::aws::lambda::*;
use crate::aws::s3::S3Bucket;
use crate::core::{Handle, Output, Ref, SynthError, TfFile, Variable};
use crate::env::REGION;
use crate::policy::Statement;

use super::Context;
use super::blocks::{log_group, service_role};

pub struct Functions {
    pub post_lambda: Handle<LambdaFunction>,
    pub lambda_a: Handle<LambdaFunction>,
    pub lambda_b: Handle<LambdaFunction>,
}

impl Functions {
    pub fn all(&self) -> [&Handle<LambdaFunction>; 3] {
        [&self.post_lambda, &self.lambda_a, &self.lambda_b]
    }
}

/// What differs between the functions.
struct RustFunction {
    /// The cargo binary; also the logical name and the handler.
    binary: &'static str,
    description: &'static str,
    memory_mb: u32,
    /// Concurrency kept for this function alone (and its ceiling).
    reserved_concurrency: Option<u32>,
    timeout_seconds: u32,
    environment: BTreeMap<String, String>,
    /// Rights beyond writing its own logs and traces.
    statements: Vec<Statement>,
}

pub fn build(
    ctx: &Context,
    file: &mut TfFile,
    table: &Handle<DynamodbTable>,
    bucket: &Handle<S3Bucket>,
) -> Result<Functions, SynthError> {
    let zip_dir = file.variable(
        "lambda_zip_dir",
        Variable {
            type_: "string".into(),
            description: "Directory with <binary>/bootstrap.zip from `make lambdas`, relative to this directory".into(),
            default: Some(json!("../../target/lambda")),
        },
    );
    let post_lambda = RustFunction {
        binary: "post_lambda",
        description: "POST /orders: validates a batch of orders and stores it for 24 hours",
        memory_mb: 256,
        reserved_concurrency: ctx.env.api.post_lambda_reserved_concurrency,
        // API Gateway gives up at 30 s; the handler's own deadline is 20 s.
        timeout_seconds: 25,
        environment: BTreeMap::from([("TABLE_NAME".into(), table.name().into())]),
        statements: vec![
            // DescribeTable opens the connection during init (cold start).
            Statement::allow("WriteOrders", ["dynamodb:BatchWriteItem", "dynamodb:DescribeTable"]).on([table.arn()]),
            key_use_via(
                ctx,
                "UseTableKey",
                "dynamodb",
                &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            ),
        ],
    };
    let lambda_a = RustFunction {
        binary: "lambda_a",
        description: "Asks the auction platform whether results are ready",
        memory_mb: 128,
        reserved_concurrency: None,
        timeout_seconds: 10,
        environment: BTreeMap::new(),
        statements: vec![],
    };
    let lambda_b = RustFunction {
        binary: "lambda_b",
        description: "Archives one accepted order in S3, fails with OrderRejected for a rejected one",
        memory_mb: 128,
        reserved_concurrency: None,
        timeout_seconds: 15,
        environment: BTreeMap::from([("LOG_BUCKET".into(), bucket.bucket().into())]),
        statements: vec![
            // Only keys of the archive's scheme (orders/order_...).
            Statement::allow("ArchiveOrders", ["s3:PutObject"]).on([format!("{}/{ARCHIVE_KEY_PREFIX}*", bucket.arn())]),
            key_use_via(ctx, "UseBucketKey", "s3", &["kms:GenerateDataKey"]),
        ],
    };
    let functions = Functions {
        post_lambda: rust_function(ctx, file, &zip_dir, post_lambda)?,
        lambda_a: rust_function(ctx, file, &zip_dir, lambda_a)?,
        lambda_b: rust_function(ctx, file, &zip_dir, lambda_b)?,
    };
    for (binary, function) in [
        ("post_lambda", &functions.post_lambda),
        ("lambda_a", &functions.lambda_a),
        ("lambda_b", &functions.lambda_b),
    ] {
        file.output(
            &format!("{binary}_function"),
            Output::new(function.function_name(), "Lambda function name"),
        );
    }
    Ok(functions)
}

/// Use of the platform key, only through `service` on the caller's behalf.
fn key_use_via(ctx: &Context, sid: &str, service: &str, actions: &[&str]) -> Statement {
    Statement::allow(sid, actions.iter().copied()).on([ctx.key.arn()]).when(
        "StringEquals",
        "kms:ViaService",
        [format!("{service}.{REGION}.amazonaws.com")],
    )
}

fn rust_function(
    ctx: &Context,
    file: &mut TfFile,
    zip_dir: &Ref,
    f: RustFunction,
) -> Result<Handle<LambdaFunction>, SynthError> {
    let name = ctx.name(&f.binary.replace('_', "-"));
    let logs = log_group(ctx, file, f.binary, format!("/aws/lambda/{name}"));
    let mut statements = vec![
        Statement::allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"])
            .on([format!("{}:*", logs.arn())]),
        // X-Ray has no resource-level permissions: "*" is the only resource.
        Statement::allow("SendTraces", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]).on(["*"]),
        // The environment is encrypted with the platform key.
        key_use_via(ctx, "DecryptEnvironment", "lambda", &["kms:Decrypt"]),
    ];
    statements.extend(f.statements);
    let role = service_role(
        ctx,
        file,
        f.binary,
        &format!("{}-fn", f.binary.replace('_', "-")),
        "lambda.amazonaws.com",
        statements,
    );
    let zip = format!("{zip_dir}/{}/bootstrap.zip", f.binary);
    Ok(file.resource(
        f.binary,
        LambdaFunction {
            function_name: name,
            description: Some(f.description.into()),
            role: role.arn().into(),
            runtime: "provided.al2023".into(),
            handler: f.binary.into(),
            architectures: vec!["arm64".into()],
            source_code_hash: Ref::call("filebase64sha256", &zip)?.into(),
            filename: zip,
            memory_size: f.memory_mb,
            timeout: f.timeout_seconds,
            reserved_concurrent_executions: f.reserved_concurrency,
            // The key encrypts the environment; without one there is nothing to encrypt.
            kms_key_arn: (!f.environment.is_empty()).then(|| ctx.key.arn().into()),
            environment: (!f.environment.is_empty()).then_some(LambdaEnvironment {
                variables: f.environment,
            }),
            tracing_config: TracingConfig { mode: "Active".into() },
            logging_config: LoggingConfig {
                log_format: "JSON".into(),
                log_group: Some(logs.name().into()),
                application_log_level: Some("INFO".into()),
                system_log_level: Some("WARN".into()),
            },
        },
    ))
}

//! The Rust functions ([`Function`], one list): arm64 `provided.al2023` zips built by
//! cargo-lambda, each with its own role (only its own actions), log group
//! (retention, encryption) and X-Ray tracing.

use std::collections::BTreeMap;
use std::ops::Index;

use orders_domain::{ARCHIVE_KEY_PREFIX, contract};
use serde_json::json;

use crate::aws::dynamodb::DynamodbTable;
use crate::aws::lambda::*;
use crate::aws::s3::S3Bucket;
use crate::core::{Handle, Output, Ref, SynthError, TfFile, Variable};
use crate::env::REGION;
use crate::policy::Statement;

use super::Context;
use super::blocks::{log_group, service_role};

/// Declares [`Function`] and [`Function::ALL`] from one list. For each
/// function the cargo package, its binary, the logical name and the handler
/// are the same string. Adding a function: a line here, then the match arms
/// the compiler asks for ([`Function::spec`], [`Function::errors_are_failures`]).
macro_rules! functions {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Function {
            $($variant),+
        }

        impl Function {
            pub const ALL: [Function; [$($name),+].len()] = [$(Function::$variant),+];

            /// The cargo package and binary (`post_lambda`).
            pub fn binary(self) -> &'static str {
                match self {
                    $(Function::$variant => $name),+
                }
            }
        }
    };
}

functions! {
    PostLambda => "post_lambda",
    LambdaA => "lambda_a",
    LambdaB => "lambda_b",
}

impl Function {
    /// The Terraform output holding the deployed function's name.
    pub fn output_name(self) -> String {
        format!("{}_function", self.binary())
    }

    /// Whether the Errors metric means a failure worth an alarm.
    pub fn errors_are_failures(self) -> bool {
        match self {
            Function::PostLambda | Function::LambdaA => true,
            // Its Errors count every rejected order: a business outcome,
            // alerted one by one (see `observability`).
            Function::LambdaB => false,
        }
    }

    /// What differs between the functions.
    fn spec(self, ctx: &Context, table: &Handle<DynamodbTable>, bucket: &Handle<S3Bucket>) -> RustFunction {
        let binary = self.binary();
        match self {
            Function::PostLambda => RustFunction {
                binary,
                description: "POST /orders: validates a batch of orders and stores it for 24 hours",
                memory_mb: 256,
                reserved_concurrency: ctx.env.api.post_lambda_reserved_concurrency,
                // API Gateway gives up at 30 s; the handler's own deadline is 20 s.
                timeout_seconds: 25,
                environment: BTreeMap::from([(contract::TABLE_NAME.into(), table.name().into())]),
                statements: vec![
                    // DescribeTable opens the connection during init (cold start).
                    Statement::allow("WriteOrders", ["dynamodb:BatchWriteItem", "dynamodb:DescribeTable"])
                        .on([table.arn()]),
                    key_use_via(
                        ctx,
                        "UseTableKey",
                        "dynamodb",
                        &["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    ),
                ],
            },
            Function::LambdaA => RustFunction {
                binary,
                description: "Asks the auction platform whether results are ready",
                memory_mb: 128,
                reserved_concurrency: None,
                timeout_seconds: 10,
                environment: BTreeMap::new(),
                statements: vec![],
            },
            Function::LambdaB => RustFunction {
                binary,
                description: "Archives one accepted order in S3, fails with OrderRejected for a rejected one",
                memory_mb: 128,
                reserved_concurrency: None,
                timeout_seconds: 15,
                environment: BTreeMap::from([(contract::LOG_BUCKET.into(), bucket.bucket().into())]),
                statements: vec![
                    // Only keys of the archive's scheme (orders/order_...).
                    Statement::allow("ArchiveOrders", ["s3:PutObject"])
                        .on([format!("{}/{ARCHIVE_KEY_PREFIX}*", bucket.arn())]),
                    key_use_via(ctx, "UseBucketKey", "s3", &["kms:GenerateDataKey"]),
                ],
            },
        }
    }
}

/// The deployed functions, in [`Function::ALL`] order.
pub struct Functions {
    deployed: BTreeMap<Function, Deployed>,
}

struct Deployed {
    handle: Handle<LambdaFunction>,
    /// Names of the environment variables tfgen sets on it.
    environment: Vec<String>,
}

impl Functions {
    pub fn iter(&self) -> impl Iterator<Item = (Function, &Handle<LambdaFunction>)> {
        self.deployed.iter().map(|(f, d)| (*f, &d.handle))
    }

    /// The environment variables tfgen sets on `function` (names only).
    pub fn environment(&self, function: Function) -> &[String] {
        self.deployed.get(&function).map_or(&[], |d| &d.environment)
    }
}

impl Index<Function> for Functions {
    type Output = Handle<LambdaFunction>;

    /// Every [`Function`] is deployed by [`build`]: indexing cannot miss.
    fn index(&self, function: Function) -> &Handle<LambdaFunction> {
        &self.deployed[&function].handle
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
    let mut deployed = BTreeMap::new();
    for function in Function::ALL {
        let spec = function.spec(ctx, table, bucket);
        let environment = spec.environment.keys().cloned().collect();
        let handle = rust_function(ctx, file, &zip_dir, spec)?;
        file.output(
            &function.output_name(),
            Output::new(handle.function_name(), "Lambda function name"),
        );
        deployed.insert(function, Deployed { handle, environment });
    }
    Ok(Functions { deployed })
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
    ];
    if !f.environment.is_empty() {
        // The environment is encrypted with the platform key (see `kms_key_arn`).
        statements.push(key_use_via(ctx, "DecryptEnvironment", "lambda", &["kms:Decrypt"]));
    }
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

//! lambda_b's entry point: settings, one S3 client, the runtime.

use aws_config::BehaviorVersion;
use lambda_b::{Archiver, Config, s3_client};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env().inspect_err(|e| tracing::error!("{e}"))?;
    let sdk_config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let archiver = Archiver::new(s3_client(&sdk_config, config.force_path_style), config.bucket);
    lambda_runtime::run(service_fn(|event| archiver.handle(event))).await
}

//! post_lambda's entry point: settings, one DynamoDB client, the runtime.

use aws_config::BehaviorVersion;
use lambda_http::{Error, service_fn};
use post_lambda::{Config, OrdersApi, RetryPolicy, dynamodb_client, warm_up};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env().inspect_err(|e| tracing::error!("{e}"))?;
    let sdk_config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = dynamodb_client(&sdk_config);
    warm_up(&client, &config.table_name).await;
    let api = OrdersApi::new(client, config.table_name, RetryPolicy::default());
    lambda_http::run(service_fn(|request| api.handle(request))).await
}

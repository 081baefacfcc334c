//! lambda_a's entry point: settings, the random source, the runtime.

use lambda_a::{Config, ResultsSource};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env().inspect_err(|e| tracing::error!("{e}"))?;
    let rng = config.rng().inspect_err(|e| tracing::error!("{e}"))?;
    let source = ResultsSource::new(rng, config.ready_probability);
    lambda_runtime::run(service_fn(|event| source.handle(event))).await
}

"""The local cloud: the whole platform on one machine, no AWS account.

moto server (through the project's launcher, which adds what moto lacks)
holds the AWS services; `terraform apply` of the generated `local`
configuration creates the same resources in it; the Rust functions run
under `cargo lambda watch`, where the emulator's Step Functions interpreter
reaches them.
"""

from .stack import CloudSettings, LocalCloud

__all__ = ["CloudSettings", "LocalCloud"]

#!/usr/bin/env bash
# Installs the pinned build tools on a CI or CodeBuild host (x86_64 or
# aarch64; CodeBuild builds natively on arm64). Versions come from the
# environment (RUST_VERSION, NEXTEST_VERSION, TERRAFORM_VERSION) with the
# project's pins as defaults.
#
#   .codebuild/install-tools.sh rust nextest terraform
set -euo pipefail

RUST_VERSION=${RUST_VERSION:-1.95.0}
NEXTEST_VERSION=${NEXTEST_VERSION:-0.9.143}
TERRAFORM_VERSION=${TERRAFORM_VERSION:-1.11.4}
BIN_DIR=${BIN_DIR:-$HOME/.local/bin}
mkdir -p "$BIN_DIR"

case "$(uname -m)" in
    x86_64) rust_arch=x86_64; tf_arch=amd64 ;;
    aarch64 | arm64) rust_arch=aarch64; tf_arch=arm64 ;;
    *) echo "install-tools.sh: unsupported architecture $(uname -m)" >&2; exit 2 ;;
esac

install_rust() {
    if ! command -v rustup >/dev/null; then
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
        # shellcheck disable=SC1091
        source "$HOME/.cargo/env"
    fi
    rustup toolchain install "$RUST_VERSION" --profile minimal --component rustfmt,clippy
    rustup default "$RUST_VERSION"
}

install_nextest() {
    local url="https://github.com/nextest-rs/nextest/releases/download/cargo-nextest-${NEXTEST_VERSION}/cargo-nextest-${NEXTEST_VERSION}-${rust_arch}-unknown-linux-gnu.tar.gz"
    curl -sSfL "$url" | tar -xz -C "${CARGO_HOME:-$HOME/.cargo}/bin"
}

install_terraform() {
    local base="https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}"
    local zip="terraform_${TERRAFORM_VERSION}_linux_${tf_arch}.zip"
    local work
    work=$(mktemp -d)
    curl -sSfL -o "$work/$zip" "$base/$zip"
    curl -sSfL -o "$work/SHA256SUMS" "$base/terraform_${TERRAFORM_VERSION}_SHA256SUMS"
    (cd "$work" && grep " $zip\$" SHA256SUMS | sha256sum -c -)
    python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('terraform', sys.argv[2])" "$work/$zip" "$BIN_DIR"
    chmod +x "$BIN_DIR/terraform"
    rm -rf "$work"
}

[[ $# -ge 1 ]] || { echo "usage: $0 rust|nextest|terraform ..." >&2; exit 2; }
for tool in "$@"; do
    case $tool in
        rust) install_rust ;;
        nextest) install_nextest ;;
        terraform) install_terraform ;;
        *) echo "install-tools.sh: unknown tool $tool" >&2; exit 2 ;;
    esac
done

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

# sha256 of nextest's release archives, pinned here: a replaced or corrupted
# download is refused before anything of it runs. The values were looked up
# in public package manifests (not computed here); the release's own `.sha256`
# file is checked against them too, so a wrong pin fails loudly.
nextest_sha256() {
    case "$NEXTEST_VERSION-$rust_arch" in
        0.9.143-x86_64) echo 66786b9abe23920d022a182d1416b1bbc8130dd4872a9553d76985a1708dcd1e ;;
        0.9.143-aarch64) echo 2a64b3566a92508550a7ab29c3e8db25472ca37730ecb4d22100b6aa440c2a68 ;;
        *) echo "install-tools.sh: no pinned sha256 for nextest $NEXTEST_VERSION on $rust_arch; add it to nextest_sha256" >&2
           return 1 ;;
    esac
}

install_nextest() {
    local archive="cargo-nextest-${NEXTEST_VERSION}-${rust_arch}-unknown-linux-gnu.tar.gz"
    local url="https://github.com/nextest-rs/nextest/releases/download/cargo-nextest-${NEXTEST_VERSION}/$archive"
    local expected work
    expected=$(nextest_sha256)
    work=$(mktemp -d)
    curl -sSfL -o "$work/$archive" "$url"
    curl -sSfL -o "$work/$archive.sha256" "$url.sha256"
    grep -q "$expected" "$work/$archive.sha256" ||
        { echo "install-tools.sh: the release's $archive.sha256 disagrees with the pinned sha256" >&2; exit 2; }
    (cd "$work" && echo "$expected  $archive" | sha256sum -c -)
    tar -xzf "$work/$archive" -C "${CARGO_HOME:-$HOME/.cargo}/bin"
    rm -rf "$work"
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

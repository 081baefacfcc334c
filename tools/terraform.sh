#!/usr/bin/env bash
# Runs Terraform the same way for make, CI and CodeBuild.
#
#   tools/terraform.sh validate DIR          init without backend, validate
#   tools/terraform.sh plan DIR PLANFILE     init with DIR's backend, plan -out
#   tools/terraform.sh apply DIR PLANFILE    init, apply exactly that saved plan
#   tools/terraform.sh mirror                print the provider plugin directory in use
#
# Providers: the configured mirror first, then the registry, always checked
# against the committed lock file (terraform/<dir>/.terraform.lock.hcl):
#   1. $TF_PLUGIN_MIRROR, a filesystem mirror (registry.terraform.io/...);
#   2. the provider_installation of Terraform's CLI configuration
#      ($TF_CLI_CONFIG_FILE or ~/.terraformrc), used by Terraform itself;
#   3. a mirror in one of Terraform's own plugin directories or /opt/tf-plugins
#      holding exactly the pinned version for this platform (offline hosts);
#   4. the public registry.
# Every init says which one it used. Working data (.terraform) goes to
# $TF_WORK_DIR (default .tools/terraform/<dir>), never into the committed
# configuration folders. Extra init arguments (e.g. -backend-config=...) come
# from $TF_INIT_ARGS, extra plan arguments (e.g. -target=...) from $TF_PLAN_ARGS.
set -euo pipefail

die() { echo "terraform.sh: $*" >&2; exit 2; }

PROVIDER_VERSION=5.100.0
PLATFORM="linux_$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')"

holds_pinned_provider() {
    [[ -d "$1/registry.terraform.io/hashicorp/aws/$PROVIDER_VERSION/$PLATFORM" ]]
}

cli_config_file() {
    local file=${TF_CLI_CONFIG_FILE:-$HOME/.terraformrc}
    [[ -f "$file" ]] && grep -q provider_installation "$file" && echo "$file"
    return 0
}

# Prints "<plugin dir>\t<how it was chosen>"; an empty dir means Terraform
# installs by itself (CLI configuration or registry).
choose_providers() {
    if [[ -n "${TF_PLUGIN_MIRROR:-}" ]]; then
        holds_pinned_provider "$TF_PLUGIN_MIRROR" ||
            die "TF_PLUGIN_MIRROR=$TF_PLUGIN_MIRROR holds no hashicorp/aws $PROVIDER_VERSION for $PLATFORM"
        printf '%s\t%s\n' "$TF_PLUGIN_MIRROR" "the configured mirror TF_PLUGIN_MIRROR=$TF_PLUGIN_MIRROR"
        return
    fi
    local config
    config=$(cli_config_file)
    if [[ -n "$config" ]]; then
        printf '\t%s\n' "the provider_installation of $config"
        return
    fi
    local dir
    for dir in "${XDG_DATA_HOME:-$HOME/.local/share}/terraform/plugins" "$HOME/.terraform.d/plugins" \
        /usr/local/share/terraform/plugins /usr/share/terraform/plugins /opt/tf-plugins; do
        if holds_pinned_provider "$dir"; then
            printf '%s\t%s\n' "$dir" "the local mirror $dir (set TF_PLUGIN_MIRROR to choose another)"
            return
        fi
    done
    printf '\t%s\n' "the public registry (no mirror configured)"
}

tf_init() {
    local dir=$1; shift
    local choice mirror how
    choice=$(choose_providers)
    mirror=${choice%%$'\t'*}
    how=${choice#*$'\t'}
    local args=(-input=false -no-color)
    [[ -n "$mirror" ]] && args+=("-plugin-dir=$mirror")
    # shellcheck disable=SC2206  # TF_INIT_ARGS is a list of flags on purpose
    args+=("$@" ${TF_INIT_ARGS:-})
    echo "terraform.sh: hashicorp/aws $PROVIDER_VERSION from $how, checked against $dir/.terraform.lock.hcl" >&2
    terraform -chdir="$dir" init "${args[@]}" >"$TF_DATA_DIR/init.log" 2>&1 ||
        { cat "$TF_DATA_DIR/init.log" >&2; die "terraform init failed in $dir"; }
}

[[ $# -ge 1 ]] || die "usage: $0 validate DIR | plan DIR PLANFILE | apply DIR PLANFILE | mirror"
command=$1; shift
if [[ $command == mirror ]]; then
    # The plugin directory on stdout (empty: Terraform installs by itself),
    # where it comes from on stderr.
    choice=$(choose_providers)
    echo "terraform.sh: hashicorp/aws $PROVIDER_VERSION from ${choice#*$'\t'}" >&2
    echo "${choice%%$'\t'*}"
    exit 0
fi
[[ $# -ge 1 ]] || die "$command needs a configuration directory"
dir=$1; shift
[[ -d "$dir" ]] || die "no configuration directory $dir (run make synth)"
export TF_IN_AUTOMATION=1
# A CLI config variable naming a file that does not exist only makes
# Terraform warn on every call; without it, Terraform uses its defaults.
if [[ -n "${TF_CLI_CONFIG_FILE:-}" && ! -f "$TF_CLI_CONFIG_FILE" ]]; then
    unset TF_CLI_CONFIG_FILE
fi
export TF_DATA_DIR="${TF_WORK_DIR:-$PWD/.tools/terraform/$(basename "$dir")}"
mkdir -p "$TF_DATA_DIR"

case $command in
    validate)
        tf_init "$dir" -backend=false
        terraform -chdir="$dir" validate -no-color
        ;;
    plan)
        [[ $# -eq 1 ]] || die "plan needs a plan file name"
        tf_init "$dir"
        # shellcheck disable=SC2086  # TF_PLAN_ARGS is a list of flags on purpose
        terraform -chdir="$dir" plan -input=false -no-color ${TF_PLAN_ARGS:-} -out="$1"
        ;;
    apply)
        [[ $# -eq 1 ]] || die "apply needs the saved plan file"
        [[ -f "$dir/$1" ]] || die "no saved plan $dir/$1: run make plan first"
        tf_init "$dir"
        terraform -chdir="$dir" apply -input=false -no-color "$1"
        ;;
    *) die "unknown command $command" ;;
esac

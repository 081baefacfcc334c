#!/usr/bin/env bash
# Runs Terraform the same way for make, CI and CodeBuild.
#
#   tools/terraform.sh validate DIR          init without backend, validate
#   tools/terraform.sh plan DIR PLANFILE     init with DIR's backend, plan -out
#   tools/terraform.sh apply DIR PLANFILE    init, apply exactly that saved plan
#   tools/terraform.sh mirror                print the provider mirror in use
#
# Providers come from a local filesystem mirror when one exists (machines
# without registry access): $TF_PLUGIN_MIRROR, else the first directory found
# that holds registry.terraform.io/hashicorp/aws. Otherwise `init` downloads
# as usual. Working data (.terraform) goes to $TF_WORK_DIR (default
# .tools/terraform/<dir>), never into the committed configuration folders.
# Extra init arguments (e.g. -backend-config=...) come from $TF_INIT_ARGS,
# extra plan arguments (e.g. -target=...) from $TF_PLAN_ARGS.
set -euo pipefail

die() { echo "terraform.sh: $*" >&2; exit 2; }

find_mirror() {
    if [[ -n "${TF_PLUGIN_MIRROR:-}" ]]; then
        [[ -d "$TF_PLUGIN_MIRROR/registry.terraform.io/hashicorp/aws" ]] ||
            die "TF_PLUGIN_MIRROR=$TF_PLUGIN_MIRROR does not contain registry.terraform.io/hashicorp/aws"
        echo "$TF_PLUGIN_MIRROR"
        return
    fi
    local found
    found=$(find / -maxdepth 6 \( -path /proc -o -path /sys -o -path /dev -o -path "$PWD" \) -prune -o \
        -type d -path '*/registry.terraform.io/hashicorp/aws' -print 2>/dev/null | head -n 1 || true)
    [[ -n "$found" ]] && dirname "$(dirname "$(dirname "$found")")"
    return 0
}

tf_init() {
    local dir=$1; shift
    local mirror
    mirror=$(find_mirror)
    local args=(-input=false -no-color)
    [[ -n "$mirror" ]] && args+=("-plugin-dir=$mirror")
    # shellcheck disable=SC2206  # TF_INIT_ARGS is a list of flags on purpose
    args+=("$@" ${TF_INIT_ARGS:-})
    terraform -chdir="$dir" init "${args[@]}" >"$TF_DATA_DIR/init.log" 2>&1 ||
        { cat "$TF_DATA_DIR/init.log" >&2; die "terraform init failed in $dir"; }
}

[[ $# -ge 1 ]] || die "usage: $0 validate DIR | plan DIR PLANFILE | apply DIR PLANFILE | mirror"
command=$1; shift
if [[ $command == mirror ]]; then
    find_mirror
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

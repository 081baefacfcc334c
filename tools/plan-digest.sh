#!/usr/bin/env bash
# The digest that ties an approval to exactly one saved plan: the sha256 of
# the plan file and of every Lambda zip the plan uploads. The Plan stage
# records it (CodePipeline keeps it as an output variable, out of reach of
# anything that can write artifacts; the approval request shows it), and
# the Apply stage refuses to apply unless the files it received still have
# it. The emulator's promotion rehearsal runs this same script.
#
#   tools/plan-digest.sh record PLANFILE ZIPDIR            print the digest
#   tools/plan-digest.sh verify PLANFILE ZIPDIR EXPECTED   exit 3 unless equal
set -euo pipefail

die() { echo "plan-digest.sh: $*" >&2; exit 2; }

digest() {
    local plan=$1 zips=$2
    [[ -f "$plan" ]] || die "no saved plan $plan"
    [[ -d "$zips" ]] || die "no zip directory $zips"
    {
        # Named by role, not path: the digest must not depend on where the
        # stage unpacked its artifacts.
        printf '%s  plan\n' "$(sha256sum "$plan" | cut -d' ' -f1)"
        (cd "$zips" && find . -type f -name '*.zip' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    } | sha256sum | cut -d' ' -f1
}

[[ $# -ge 3 ]] || die "usage: $0 record PLANFILE ZIPDIR | verify PLANFILE ZIPDIR EXPECTED"
case $1 in
    record)
        digest "$2" "$3"
        ;;
    verify)
        [[ $# -eq 4 && -n "$4" ]] ||
            { echo "plan-digest.sh: refusing to apply $2: no approved digest was given (EXPECTED_PLAN_SHA256 is empty)" >&2; exit 3; }
        actual=$(digest "$2" "$3")
        if [[ "$actual" != "$4" ]]; then
            {
                echo "plan-digest.sh: REFUSING TO APPLY $2: it is not the plan that was made and approved."
                echo "  digest of the plan and zips received: $actual"
                echo "  digest recorded by the Plan stage:    $4"
                echo "  The plan file or a zip changed after Plan. Nothing was applied; run the pipeline again from Plan."
            } >&2
            exit 3
        fi
        echo "plan digest $actual matches the approved plan"
        ;;
    *) die "unknown command $1" ;;
esac

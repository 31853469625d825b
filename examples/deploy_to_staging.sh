#!/usr/bin/env bash
# The migration plan's staging deploy (Phase 4): ship one release to both staging instances,
# one at a time, each taken out of the ALB while it restarts; then, as the last step, let
# parity prove that the release is what every instance behind the ALB runs, that sticky
# sessions and shared Redis sessions work. The script's exit code is parity's (0 pass,
# 1 a check failed, 2 usage/config, 3 could not run), so a pipeline stops on a bad deploy.
#
#   STAGING_INSTANCES="i-0a57a91e0000000a1:staging-1.example.internal i-0a57a91e0000000b2:staging-2.example.internal" \
#   TARGET_GROUP_ARN=arn:aws:elasticloadbalancing:... ./deploy_to_staging.sh
#
# Needs: ssh access to the instances (SSH_USER, default ec2-user), the AWS CLI with
# credentials allowed to deregister/register the staging targets, and a checkout of parity
# with its parity.config.yaml in PARITY_DIR (default: this script's repository).
# The app must report RELEASE as its version (here: the VERSION file it reads at start, sent
# as X-App-Version). PARITY_GATE=0 skips the gate (when a CI job runs it separately).
set -euo pipefail

: "${STAGING_INSTANCES:?space-separated instance-id:ssh-host pairs of the staging instances}"
: "${TARGET_GROUP_ARN:?the staging target group ARN}"
RELEASE="${RELEASE:-$(git rev-parse HEAD)}"
SSH_USER="${SSH_USER:-ec2-user}"
APP_DIR="${APP_DIR:-/home/${SSH_USER}/ChatMRPT}"
PARITY_DIR="${PARITY_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
read -r -a instances <<<"$STAGING_INSTANCES"

for pair in "${instances[@]}"; do
  id="${pair%%:*}"   # the EC2 instance id, as the target group knows it
  host="${pair#*:}"  # where ssh and rsync reach it
  echo "deploy: ${RELEASE} to ${host} (${id})"
  aws elbv2 deregister-targets --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=${id}"
  aws elbv2 wait target-deregistered --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=${id}"
  rsync -az --delete --exclude instance/ --exclude .git/ ./ "${SSH_USER}@${host}:${APP_DIR}/"
  # shellcheck disable=SC2029 # RELEASE and APP_DIR are meant to expand here, on this side
  ssh "${SSH_USER}@${host}" "echo '${RELEASE}' > '${APP_DIR}/VERSION' && sudo systemctl restart chatmrpt"
  aws elbv2 register-targets --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=${id}"
  aws elbv2 wait target-in-service --target-group-arn "$TARGET_GROUP_ARN" --targets "Id=${id}"
done

if [ "${PARITY_GATE:-1}" = 0 ]; then
  echo "deploy: done; PARITY_GATE=0, the gate runs elsewhere"
  exit 0
fi
cd "$PARITY_DIR"
echo "deploy: done; gating ${RELEASE} with parity smoke"
exec npx parity smoke --env staging --expect-version "$RELEASE" --converge 300

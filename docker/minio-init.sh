#!/bin/sh
# One-shot in the minio/mc image: the engine's bucket, a policy limited to that bucket, and the engine's own
# access key holding only that policy (the root credentials stay with this job). Safe to run again.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${OPHIN_S3_BUCKET:?}" "${OPHIN_S3_ACCESS_KEY:?}" \
  "${OPHIN_S3_SECRET_KEY:?}"
policy="${OPHIN_S3_BUCKET}-readwrite"

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$OPHIN_S3_BUCKET"

policy_json='{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::'"$OPHIN_S3_BUCKET"'"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                 "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::'"$OPHIN_S3_BUCKET"'/*"]
    }
  ]
}
'
printf '%s\n' "$policy_json" >/tmp/policy.json
mc admin policy create local "$policy" /tmp/policy.json
# Re-adding an existing user only resets its secret key (to the one in .env).
mc admin user add local "$OPHIN_S3_ACCESS_KEY" "$OPHIN_S3_SECRET_KEY"
# attach refuses a policy that is already attached: that is the state we want.
# Shell builtins only from here on: the mc image is minimal (no grep).
if ! out="$(mc admin policy attach local "$policy" --user "$OPHIN_S3_ACCESS_KEY" 2>&1)"; then
  case "$(mc admin user info local "$OPHIN_S3_ACCESS_KEY")" in
    *"$policy"*) ;;
    *) printf '%s\n' "$out" >&2; exit 1 ;;
  esac
fi
echo "minio-init: bucket $OPHIN_S3_BUCKET, user $OPHIN_S3_ACCESS_KEY with policy $policy"

"""One bucket for a deployment's inputs, runs and models, and a second one for its access logs.

A run keeps its objects under ``<S3OutputPath><run-id>/`` (see byoal/layout.py), so the round
folders (``<run-id>/rounds/...``) sit below a prefix chosen per execution. S3 lifecycle filters
match a fixed key prefix or object tags, never a pattern in the middle of a key, so no rule can
single out the rounds; the rules here cover what a filter can reach: incomplete multipart uploads
and the noncurrent versions that re-runs and deletions leave behind.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance import acknowledge

ABORT_INCOMPLETE_UPLOADS_AFTER = Duration.days(7)
NONCURRENT_VERSIONS_EXPIRE_AFTER = Duration.days(30)
ACCESS_LOGS_EXPIRE_AFTER = Duration.days(365)
ACCESS_LOG_PREFIX = "data-bucket/"


class Storage(Construct):
    """``bucket`` (versioned, SSE-S3, TLS only, no public access) and ``log_bucket`` for its server access logs.

    ``bucket`` aborts incomplete multipart uploads after 7 days and expires noncurrent versions after 30;
    ``log_bucket`` expires access logs after 365 days. ``removal_policy`` and ``auto_delete_objects`` apply
    to both buckets.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy, auto_delete_objects: bool
    ) -> None:
        super().__init__(scope, construct_id)

        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access logs can only be delivered with SSE-S3
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=ACCESS_LOGS_EXPIRE_AFTER,
                    abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS_AFTER,
                )
            ],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )
        acknowledge(
            self.log_bucket,
            {"AwsSolutions-S1": "This is the access-log bucket itself; logging its own accesses would loop."},
        )

        self.bucket = s3.Bucket(
            self,
            "Data",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="AbortIncompleteMultipartUploads",
                    abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS_AFTER,
                ),
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=NONCURRENT_VERSIONS_EXPIRE_AFTER,
                    expired_object_delete_marker=True,
                ),
            ],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )

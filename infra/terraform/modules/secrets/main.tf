# The environment's customer managed KMS key, and the secrets the tasks read.
#
# Terraform creates the secrets, never the values of the operator's keys: the signing keys, the
# secret-key ring, the cookie secret and the SMTP URL (with its SES SMTP credentials) are put with `aws secretsmanager put-secret-value`
# (infra/README.md), so they never enter the Terraform state. The database and Redis secrets are
# written by the database and cache modules, which generate those passwords.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  secrets = {
    database_owner = "Owner connection (migrations): JSON {username, password, url}."
    database_app   = "Application connection as renkei_app through RDS Proxy: JSON {username, password, url}."
    redis          = "Redis connection: JSON {auth_token, url}."
    signing_keys   = "RENKEI_SIGNING_KEYS: a JWK Set of private keys; the first signs."
    secret_keys    = "RENKEI_SECRET_KEYS: the AES-GCM key ring {kid: base64 of 32 bytes}; the first seals."
    cookie_secret  = "RENKEI_COOKIE_SECRET: signs the short-lived sign-in cookie."
    platform_oidc  = "RENKEI_PLATFORM_OIDC_CLIENT_SECRET: the operator's OpenID provider for individual professionals (optional)."
    smtp           = "RENKEI_SMTP_URL: where the worker sends email, with Amazon SES SMTP credentials: smtps://<SMTP user>:<SMTP password, URL-encoded>@email-smtp.<region>.amazonaws.com:465."
  }
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" is the key itself; the account statement is AWS's default delegation to IAM policies.
  #checkov:skip=CKV_AWS_356:A key policy's "*" is the key itself, the only resource it can name.
  #checkov:skip=CKV_AWS_109:A key policy's "*" is the key itself; the account statement is AWS's default delegation to IAM policies.
  # The account administers the key and delegates its use to IAM policies (the roles of the iam
  # module name this key explicitly).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncrypts"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${local.region}:${local.account}:log-group:*"]
    }
  }

  # Alarms publish to the encrypted SNS topic.
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: secrets, database, cache, logs and images"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotation is an operator procedure (infra/README.md, Rotating keys): each value needs its own order of steps, which a Lambda cannot do.
  for_each                = local.secrets
  name                    = "${var.name}/${replace(each.key, "_", "-")}"
  description             = each.value
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_days
  tags                    = var.tags

  dynamic "replica" {
    for_each = var.replica_regions
    content {
      region     = replica.key
      kms_key_id = replica.value
    }
  }
}

# One environment of Renkei: the modules wired together. The environment roots
# (environments/staging, environments/production) only choose sizes.

data "aws_region" "current" {}

locals {
  name = "renkei-${var.environment}"
  tags = merge(var.tags, { Application = "renkei", Environment = var.environment })
  dr   = var.dr_region != null

  secret = module.secrets.secret_arns
  # Production settings require every one of these. `serve` and `worker` never use the owner's
  # connection, so RENKEI_DATABASE_URL carries the application's URL for them: the owner's
  # password stays with the migrations task.
  app_secrets = merge(
    {
      RENKEI_DATABASE_URL     = "${local.secret.database_app}:url::"
      RENKEI_APP_DATABASE_URL = "${local.secret.database_app}:url::"
      RENKEI_REDIS_URL        = "${local.secret.redis}:url::"
      RENKEI_SIGNING_KEYS     = local.secret.signing_keys
      RENKEI_SECRET_KEYS      = local.secret.secret_keys
      RENKEI_COOKIE_SECRET    = local.secret.cookie_secret
    },
    var.platform_oidc == null ? {} : { RENKEI_PLATFORM_OIDC_CLIENT_SECRET = local.secret.platform_oidc },
  )
  # Only the worker sends email (issue 13): only it reads the SMTP credentials.
  worker_secrets = merge(local.app_secrets, {
    RENKEI_SMTP_URL = local.secret.smtp
  })
  migrations_secrets = merge(local.app_secrets, {
    RENKEI_DATABASE_URL = "${local.secret.database_owner}:url::"
  })
  environment = merge(
    {
      RENKEI_ENV               = "production"
      RENKEI_HOST              = "0.0.0.0"
      RENKEI_PORT              = "8000"
      RENKEI_PUBLIC_URL        = var.public_url
      RENKEI_TOKEN_ISSUER      = var.public_url
      RENKEI_TOKEN_AUDIENCE    = var.public_url
      RENKEI_TOKEN_TTL_SECONDS = tostring(var.token_ttl_seconds)
      RENKEI_LOG_LEVEL         = var.log_level
      RENKEI_APP_ROLE          = "renkei_app"
      RENKEI_MAIL_FROM         = var.mail_from
      # /metrics listens on the task's loopback only: the load balancer never reaches it.
      RENKEI_METRICS_HOST = "127.0.0.1"
      RENKEI_METRICS_PORT = "9100"
      # uvicorn takes the client's address from X-Forwarded-For only from these (the load
      # balancer, inside the VPC): the rate limits of anonymous and sign-in requests are per
      # client address, not per load balancer node.
      FORWARDED_ALLOW_IPS = var.vpc_cidr
    },
    var.platform_oidc == null ? {} : {
      RENKEI_PLATFORM_OIDC_ISSUER    = var.platform_oidc.issuer
      RENKEI_PLATFORM_OIDC_CLIENT_ID = var.platform_oidc.client_id
    },
  )
  # The ARNs (without JSON keys) each family may read.
  app_secret_arns    = distinct([for value in values(local.app_secrets) : trimsuffix(value, ":url::")])
  worker_secret_arns = distinct([for value in values(local.worker_secrets) : trimsuffix(value, ":url::")])
  migrations_secret_arns = distinct(concat(
    [for value in values(local.migrations_secrets) : trimsuffix(value, ":url::")],
    [local.secret.database_app],
  ))
}

# The disaster-recovery region's key, for the replicated backups and secrets.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "dr_key" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" is the key itself; the account statement is AWS's default delegation to IAM policies.
  #checkov:skip=CKV_AWS_356:A key policy's "*" is the key itself, the only resource it can name.
  #checkov:skip=CKV_AWS_109:A key policy's "*" is the key itself; the account statement is AWS's default delegation to IAM policies.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "dr" {
  count                   = local.dr ? 1 : 0
  provider                = aws.dr
  description             = "${local.name}: replicated backups and secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.dr_key.json
  tags                    = local.tags
}

module "secrets" {
  source          = "../secrets"
  name            = local.name
  replica_regions = local.dr ? { (var.dr_region) = aws_kms_key.dr[0].arn } : {}
  tags            = local.tags
}

module "network" {
  source             = "../network"
  name               = local.name
  cidr_block         = var.vpc_cidr
  availability_zones = var.availability_zones
  single_nat_gateway = var.single_nat_gateway
  kms_key_arn        = module.secrets.kms_key_arn
  tags               = local.tags
}

module "observability" {
  source                   = "../observability"
  name                     = local.name
  kms_key_arn              = module.secrets.kms_key_arn
  log_retention_days       = var.log_retention_days
  alarm_emails             = var.alarm_emails
  metrics_namespace        = var.metrics_namespace
  load_balancer_arn_suffix = module.alb.arn_suffix
  target_group_arn_suffix  = module.alb.target_group_arn_suffix
  db_instance_identifier   = module.database.instance_identifier
  tags                     = local.tags
}

module "cluster" {
  source      = "../cluster"
  name        = local.name
  kms_key_arn = module.secrets.kms_key_arn
  tags        = local.tags
}

module "iam" {
  source             = "../iam"
  name               = local.name
  kms_key_arn        = module.secrets.kms_key_arn
  ecr_repository_arn = module.cluster.repository_arn
  proxy_secret_arns  = [local.secret.database_app]
  services = {
    api        = { secret_arns = local.app_secret_arns, log_group_arn = module.observability.log_group_arns.api }
    worker     = { secret_arns = local.worker_secret_arns, log_group_arn = module.observability.log_group_arns.worker }
    migrations = { secret_arns = local.migrations_secret_arns, log_group_arn = module.observability.log_group_arns.migrations }
  }
  tags = local.tags
}

module "database" {
  source = "../database"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }
  name                       = local.name
  subnet_ids                 = module.network.data_subnet_ids
  database_security_group_id = module.network.security_group_ids.database
  proxy_security_group_id    = module.network.security_group_ids.proxy
  kms_key_arn                = module.secrets.kms_key_arn
  owner_secret_arn           = local.secret.database_owner
  app_secret_arn             = local.secret.database_app
  proxy_role_arn             = module.iam.proxy_role_arn
  monitoring_role_arn        = module.iam.monitoring_role_arn
  instance_class             = var.database.instance_class
  allocated_storage_gb       = var.database.allocated_storage_gb
  max_allocated_storage_gb   = var.database.max_storage_gb
  multi_az                   = var.database.multi_az
  backup_retention_days      = var.database.backup_retention_days
  max_connections            = var.database.max_connections
  deletion_protection        = var.deletion_protection
  dr_backup_replication      = local.dr
  dr_kms_key_arn             = local.dr ? aws_kms_key.dr[0].arn : null
  tags                       = local.tags
}

module "cache" {
  source            = "../cache"
  name              = local.name
  subnet_ids        = module.network.data_subnet_ids
  security_group_id = module.network.security_group_ids.cache
  kms_key_arn       = module.secrets.kms_key_arn
  secret_arn        = local.secret.redis
  node_type         = var.cache_node_type
  log_group_name    = module.observability.log_group_names.redis
  tags              = local.tags
}

module "alb" {
  source              = "../alb"
  name                = local.name
  vpc_id              = module.network.vpc_id
  subnet_ids          = module.network.public_subnet_ids
  security_group_id   = module.network.security_group_ids.alb
  certificate_arn     = var.certificate_arn
  deletion_protection = var.deletion_protection
  kms_key_arn         = module.secrets.kms_key_arn
  log_retention_days  = var.log_retention_days
  tags                = local.tags
}

module "api" {
  source               = "../service"
  name                 = "${local.name}-api"
  role                 = "serve"
  cluster_arn          = module.cluster.cluster_arn
  cluster_name         = module.cluster.cluster_name
  image                = "${module.cluster.repository_url}:${var.image_tag}"
  cpu                  = var.api.cpu
  memory               = var.api.memory
  environment          = local.environment
  secrets              = local.app_secrets
  execution_role_arn   = module.iam.execution_role_arns.api
  task_role_arn        = module.iam.task_role_arns.api
  subnet_ids           = module.network.app_subnet_ids
  security_group_ids   = [module.network.security_group_ids.api]
  log_group_name       = module.observability.log_group_names.api
  min_count            = var.api.min_count
  max_count            = var.api.max_count
  cpu_target_percent   = var.api.cpu_target_percent
  container_port       = 8000
  target_group_arn     = module.alb.target_group_arn
  request_count_target = var.api.request_count_target
  alb_resource_label   = "${module.alb.arn_suffix}/${module.alb.target_group_arn_suffix}"
  tags                 = local.tags

  depends_on = [module.alb]
}

module "worker" {
  source             = "../service"
  name               = "${local.name}-worker"
  role               = "worker"
  cluster_arn        = module.cluster.cluster_arn
  cluster_name       = module.cluster.cluster_name
  image              = "${module.cluster.repository_url}:${var.image_tag}"
  cpu                = var.worker.cpu
  memory             = var.worker.memory
  environment        = local.environment
  secrets            = local.worker_secrets
  execution_role_arn = module.iam.execution_role_arns.worker
  task_role_arn      = module.iam.task_role_arns.worker
  subnet_ids         = module.network.app_subnet_ids
  security_group_ids = [module.network.security_group_ids.worker]
  log_group_name     = module.observability.log_group_names.worker
  min_count          = var.worker.min_count
  max_count          = var.worker.max_count
  cpu_target_percent = var.worker.cpu_target_percent
  # Room for running jobs to end after SIGTERM. (Today `renkei worker` exits on SIGTERM at once;
  # arq runs an interrupted job again once its in-progress mark expires.)
  stop_timeout_seconds = 120
  queue_scaling = {
    namespace     = var.metrics_namespace
    metric_name   = "QueueDepth"
    scale_out_at  = var.worker.queue_scale_out_at
    scale_out_big = var.worker.queue_scale_big_at
  }
  tags = local.tags
}

module "migrations" {
  source              = "../migrations"
  name                = local.name
  image               = "${module.cluster.repository_url}:${coalesce(var.migrations_image_tag, var.image_tag)}"
  environment         = local.environment
  secrets             = local.migrations_secrets
  app_password_secret = "${local.secret.database_app}:password::"
  owner_url_secret    = "${local.secret.database_owner}:url::"
  execution_role_arn  = module.iam.execution_role_arns.migrations
  task_role_arn       = module.iam.task_role_arns.migrations
  log_group_name      = module.observability.log_group_names.migrations
  cluster_name        = module.cluster.cluster_name
  subnet_ids          = module.network.app_subnet_ids
  security_group_id   = module.network.security_group_ids.migrations
  tags                = local.tags
}

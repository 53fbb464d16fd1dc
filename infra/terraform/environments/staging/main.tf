# Staging: the same shape as production, smaller and cheaper (one NAT gateway, single-AZ
# database, shorter backups), so that a deploy is rehearsed on the same code path.

module "renkei" {
  source = "../../modules/stack"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  environment          = "staging"
  availability_zones   = var.availability_zones
  vpc_cidr             = "10.41.0.0/16"
  single_nat_gateway   = true
  certificate_arn      = var.certificate_arn
  public_url           = var.public_url
  image_tag            = var.image_tag
  migrations_image_tag = var.migrations_image_tag
  platform_oidc        = var.platform_oidc
  mail_from            = var.mail_from
  alarm_emails         = var.alarm_emails
  dr_region            = var.dr_region
  log_retention_days   = 365
  deletion_protection  = true
  tags                 = var.tags

  api = {
    cpu                  = 1024
    memory               = 2048
    min_count            = 2
    max_count            = 4
    cpu_target_percent   = 60
    request_count_target = 1500
  }

  worker = {
    cpu                = 512
    memory             = 1024
    min_count          = 1
    max_count          = 2
    cpu_target_percent = 60
    queue_scale_out_at = 100
    queue_scale_big_at = 1000
  }

  database = {
    instance_class        = "db.t4g.medium"
    allocated_storage_gb  = 20
    max_storage_gb        = 100
    multi_az              = false
    backup_retention_days = 7
    max_connections       = 200
  }

  cache_node_type = "cache.t4g.small"
}

# Production: three zones, a NAT gateway per zone, Multi-AZ PostgreSQL with 14 days of
# point-in-time recovery, a Redis replica, and room to scale out (infra/README.md, Scaling).

module "renkei" {
  source = "../../modules/stack"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  environment          = "production"
  availability_zones   = var.availability_zones
  vpc_cidr             = "10.40.0.0/16"
  single_nat_gateway   = false
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
    min_count            = 3
    max_count            = 30
    cpu_target_percent   = 60
    request_count_target = 1500
  }

  worker = {
    cpu                = 1024
    memory             = 2048
    min_count          = 2
    max_count          = 8
    cpu_target_percent = 60
    queue_scale_out_at = 100
    queue_scale_big_at = 1000
  }

  database = {
    instance_class        = "db.m7g.large"
    allocated_storage_gb  = 100
    max_storage_gb        = 1000
    multi_az              = true
    backup_retention_days = 14
    max_connections       = 1000
  }

  cache_node_type = "cache.m7g.large"
}

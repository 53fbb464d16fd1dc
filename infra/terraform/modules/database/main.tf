# RDS for PostgreSQL 16: Multi-AZ, encrypted with the environment's key, automated backups with
# point-in-time recovery, deletion protection, and RDS Proxy in front for the application.
#
# The owner (master user) connects directly, only from the migrations task. The application
# connects as renkei_app through the proxy. Both passwords are generated here and written to
# their secrets with the connection URL Renkei reads (RENKEI_DATABASE_URL,
# RENKEI_APP_DATABASE_URL). They are in the Terraform state: keep the state bucket encrypted and
# its access as narrow as the secrets'.

resource "random_password" "owner" {
  length  = 40
  special = false
}

resource "random_password" "app" {
  length  = 40
  special = false
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-postgres16"
  family      = "postgres16"
  description = "Renkei on PostgreSQL 16"
  tags        = var.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name         = "max_connections"
    value        = tostring(var.max_connections)
    apply_method = "pending-reboot"
  }

  # Statements slower than half a second are logged (with their parameters redacted by default).
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  # A transaction left open by a crashed client must not hold locks (and the relay's rows) forever.
  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = "60000"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV2_AWS_30:Query logging (log_statement) would write the password of CREATE/ALTER ROLE into the logs; slow statements are logged instead.
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.database_name
  username       = var.owner_username
  password       = random_password.owner.result
  port           = 5432

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.database_security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.backup_retention_days
  backup_window             = "17:00-17:30" # 02:00-02:30 JST
  maintenance_window        = "sun:18:00-sun:19:00"
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"

  auto_minor_version_upgrade          = true
  allow_major_version_upgrade         = false
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  performance_insights_enabled        = true
  performance_insights_kms_key_id     = var.kms_key_arn
  monitoring_interval                 = 30
  monitoring_role_arn                 = var.monitoring_role_arn

  tags = var.tags
}

resource "aws_db_proxy" "this" {
  name                   = var.name
  engine_family          = "POSTGRESQL"
  role_arn               = var.proxy_role_arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [var.proxy_security_group_id]
  require_tls            = true
  idle_client_timeout    = 1800
  debug_logging          = false
  tags                   = var.tags

  auth {
    auth_scheme               = "SECRETS"
    client_password_auth_type = "POSTGRES_SCRAM_SHA_256"
    description               = "The application role, bound by row-level security"
    iam_auth                  = "DISABLED"
    secret_arn                = var.app_secret_arn
  }
}

resource "aws_db_proxy_default_target_group" "this" {
  db_proxy_name = aws_db_proxy.this.name

  connection_pool_config {
    connection_borrow_timeout    = 30
    max_connections_percent      = var.proxy_max_connections_percent
    max_idle_connections_percent = 50
  }
}

resource "aws_db_proxy_target" "this" {
  db_proxy_name          = aws_db_proxy.this.name
  target_group_name      = aws_db_proxy_default_target_group.this.name
  db_instance_identifier = aws_db_instance.this.identifier
}

resource "aws_secretsmanager_secret_version" "owner" {
  secret_id = var.owner_secret_arn
  secret_string = jsonencode({
    username = var.owner_username
    password = random_password.owner.result
    url      = "postgresql+psycopg://${var.owner_username}:${random_password.owner.result}@${aws_db_instance.this.address}:5432/${var.database_name}?sslmode=require"
  })
}

resource "aws_secretsmanager_secret_version" "app" {
  secret_id = var.app_secret_arn
  secret_string = jsonencode({
    username = var.app_role
    password = random_password.app.result
    url      = "postgresql+psycopg://${var.app_role}:${random_password.app.result}@${aws_db_proxy.this.endpoint}:5432/${var.database_name}?sslmode=require"
  })
}

# Disaster recovery: the automated backups (snapshots and transaction logs) are copied to the
# other region, so a point-in-time restore works there too.
resource "aws_db_instance_automated_backups_replication" "dr" {
  count                  = var.dr_backup_replication ? 1 : 0
  provider               = aws.dr
  source_db_instance_arn = aws_db_instance.this.arn
  retention_period       = var.backup_retention_days
  kms_key_id             = var.dr_kms_key_arn
}

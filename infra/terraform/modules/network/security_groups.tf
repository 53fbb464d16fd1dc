# Who may talk to whom, tier by tier. Rules are separate resources, each with a description.

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-alb"
  description = "The public load balancer: HTTPS from anywhere, HTTP only to redirect"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_security_group" "api" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-api"
  description = "API tasks: reached by the load balancer only"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-api" })
}

resource "aws_security_group" "worker" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-worker"
  description = "Worker tasks: no inbound traffic"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-worker" })
}

resource "aws_security_group" "migrations" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-migrations"
  description = "The one-off migrations task: no inbound traffic"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-migrations" })
}

resource "aws_security_group" "proxy" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-db-proxy"
  description = "RDS Proxy: PostgreSQL from the API and the worker"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-db-proxy" })
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-database"
  description = "RDS PostgreSQL: from RDS Proxy and the migrations task"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_security_group" "cache" {
  #checkov:skip=CKV2_AWS_5:Attached in another module (through this module's security_group_ids output), which checkov's graph does not follow.
  name        = "${var.name}-cache"
  description = "ElastiCache Redis: from the API and the worker"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-cache" })
}

# The load balancer.
resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from clients"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Port 80 only answers a permanent redirect to HTTPS (the alb module's listener).
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from clients, redirected to HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the API tasks"
  referenced_security_group_id = aws_security_group.api.id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

# The API.
resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  description                  = "From the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

# The API, the worker and the migrations task all pull their image and read their secrets over
# HTTPS; the API and the worker also fetch the organizations' OpenID provider documents and keys.
resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = {
    api        = aws_security_group.api.id
    worker     = aws_security_group.worker.id
    migrations = aws_security_group.migrations.id
  }
  security_group_id = each.value
  description       = "HTTPS to AWS APIs and OpenID providers"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The worker sends email to Amazon SES's SMTP endpoint (RENKEI_SMTP_URL): implicit TLS on 465,
# or STARTTLS on 587.
resource "aws_vpc_security_group_egress_rule" "worker_smtp" {
  for_each          = toset(["465", "587"])
  security_group_id = aws_security_group.worker.id
  description       = "SMTP submission over TLS to Amazon SES (${each.key})"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
}

resource "aws_vpc_security_group_egress_rule" "to_proxy" {
  for_each = {
    api    = aws_security_group.api.id
    worker = aws_security_group.worker.id
  }
  security_group_id            = each.value
  description                  = "PostgreSQL through RDS Proxy"
  referenced_security_group_id = aws_security_group.proxy.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "to_cache" {
  for_each = {
    api    = aws_security_group.api.id
    worker = aws_security_group.worker.id
  }
  security_group_id            = each.value
  description                  = "Redis"
  referenced_security_group_id = aws_security_group.cache.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_vpc_security_group_egress_rule" "migrations_to_database" {
  security_group_id            = aws_security_group.migrations.id
  description                  = "PostgreSQL directly, as the owner (migrations and role set-up)"
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

# RDS Proxy.
resource "aws_vpc_security_group_ingress_rule" "proxy_from_tasks" {
  for_each = {
    api    = aws_security_group.api.id
    worker = aws_security_group.worker.id
  }
  security_group_id            = aws_security_group.proxy.id
  description                  = "PostgreSQL from the ${each.key} tasks"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_database" {
  security_group_id            = aws_security_group.proxy.id
  description                  = "PostgreSQL to the database instance"
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

# The database.
resource "aws_vpc_security_group_ingress_rule" "database_from" {
  for_each = {
    proxy      = aws_security_group.proxy.id
    migrations = aws_security_group.migrations.id
  }
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

# Redis.
resource "aws_vpc_security_group_ingress_rule" "cache_from_tasks" {
  for_each = {
    api    = aws_security_group.api.id
    worker = aws_security_group.worker.id
  }
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis from the ${each.key} tasks"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

# One-off tasks, run by the operator (infra/README.md) before a deploy:
# - migrate: `renkei migrate` from the release image, as the owner, directly on the instance
#   (not through RDS Proxy: Alembic holds one session for the whole run).
# - bootstrap-role: creates renkei_app with its password from the secret, or resets the password.

data "aws_region" "current" {}

locals {
  network_configuration = "awsvpcConfiguration={subnets=[${join(",", var.subnet_ids)}],securityGroups=[${var.security_group_id}],assignPublicIp=DISABLED}"
  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = var.log_group_name
      awslogs-region        = data.aws_region.current.name
      awslogs-stream-prefix = "migrations"
    }
  }
}

resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "migrate"
    image                  = var.image
    command                = ["migrate"]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    environment            = [for key in sort(keys(var.environment)) : { name = key, value = var.environment[key] }]
    secrets                = [for key in sort(keys(var.secrets)) : { name = key, valueFrom = var.secrets[key] }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration       = local.log_configuration
  }])
}

resource "aws_ecs_task_definition" "bootstrap_role" {
  family                   = "${var.name}-bootstrap-role"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "bootstrap-role"
    image                  = var.image
    entryPoint             = ["python", "-c"]
    command                = [file("${path.module}/bootstrap_role.py")]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    environment            = [{ name = "RENKEI_APP_ROLE", value = lookup(var.environment, "RENKEI_APP_ROLE", "renkei_app") }]
    secrets = [
      { name = "RENKEI_APP_DATABASE_PASSWORD", valueFrom = var.app_password_secret },
      { name = "RENKEI_DATABASE_URL", valueFrom = var.owner_url_secret },
    ]
    mountPoints      = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = local.log_configuration
  }])
}

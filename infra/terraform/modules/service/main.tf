# One ECS Fargate service running `renkei serve` or `renkei worker` from the release image, with
# target-tracking autoscaling on CPU, and for the API on requests per task, for the worker
# optionally step scaling on the queue depth.

data "aws_region" "current" {}

locals {
  container = var.role == "serve" ? "api" : "worker"
  port_mappings = var.container_port == null ? [] : [{
    containerPort = var.container_port
    protocol      = "tcp"
  }]
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
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

  # The root file system is read-only; /tmp is the task's ephemeral storage.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = local.container
    image                  = var.image
    command                = [var.role]
    essential              = true
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    stopTimeout            = var.stop_timeout_seconds
    portMappings           = local.port_mappings
    environment            = [for key in sort(keys(var.environment)) : { name = key, value = var.environment[key] }]
    secrets                = [for key in sort(keys(var.secrets)) : { name = key, valueFrom = var.secrets[key] }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters        = { initProcessEnabled = true }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = local.container
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.min_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.target_group_arn == null ? null : 30
  wait_for_steady_state              = false
  tags                               = var.tags

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  # A release whose tasks never become healthy is rolled back to the previous task definition.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arn == null ? [] : [var.target_group_arn]
    content {
      target_group_arn = load_balancer.value
      container_name   = local.container
      container_port   = var.container_port
    }
  }

  lifecycle {
    # Autoscaling owns the running count after creation.
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_out_cooldown = 60
    scale_in_cooldown  = 300
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count              = var.request_count_target == null ? 0 : 1
  name               = "${var.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.request_count_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.alb_resource_label
    }
  }
}

# The worker: when jobs wait in the queue, add tasks in steps (the CPU policy scales in).
resource "aws_appautoscaling_policy" "queue" {
  count              = var.queue_scaling == null ? 0 : 1
  name               = "${var.name}-queue-depth"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 120
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_lower_bound = 0
      metric_interval_upper_bound = var.queue_scaling.scale_out_big - var.queue_scaling.scale_out_at
      scaling_adjustment          = 1
    }

    step_adjustment {
      metric_interval_lower_bound = var.queue_scaling.scale_out_big - var.queue_scaling.scale_out_at
      scaling_adjustment          = 3
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "queue_scale_out" {
  count               = var.queue_scaling == null ? 0 : 1
  alarm_name          = "${var.name}-queue-scale-out"
  alarm_description   = "Jobs are waiting in the arq queue: add worker tasks."
  namespace           = var.queue_scaling.namespace
  metric_name         = var.queue_scaling.metric_name
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.queue_scaling.scale_out_at
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.queue[0].arn]
  tags                = var.tags
}

# Logs, Renkei's own metrics and the alarms, all going to one SNS topic.

locals {
  log_groups = {
    api        = "/renkei/${var.name}/api"
    worker     = "/renkei/${var.name}/worker"
    migrations = "/renkei/${var.name}/migrations"
    redis      = "/renkei/${var.name}/redis-slow-log"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each          = local.log_groups
  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# The worker writes one JSON log line a minute,
#   {"message": "worker backlog", "outbox_pending": <rows not yet relayed>, "queue_depth": <jobs waiting in arq>}
# and these filters turn it into metrics. Alarms and the worker's step scaling read the Maximum,
# so several workers reporting the same numbers do not add up.
resource "aws_cloudwatch_log_metric_filter" "backlog" {
  for_each = {
    OutboxBacklog = "$.outbox_pending"
    QueueDepth    = "$.queue_depth"
  }
  name           = "${var.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this["worker"].name
  pattern        = "{ $.message = \"worker backlog\" }"

  metric_transformation {
    name      = each.key
    namespace = var.metrics_namespace
    value     = each.value
    unit      = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "More than ${var.error_rate_percent}% of API requests answered 5xx (targets or the load balancer) over 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "100 * (target5xx + elb5xx) / requests"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions = {
        LoadBalancer = var.load_balancer_arn_suffix
        TargetGroup  = var.target_group_arn_suffix
      }
    }
  }

  metric_query {
    id = "elb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions = {
        LoadBalancer = var.load_balancer_arn_suffix
      }
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions = {
        LoadBalancer = var.load_balancer_arn_suffix
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "p99_latency" {
  alarm_name          = "${var.name}-p99-latency"
  alarm_description   = "The API's 99th percentile response time stayed above ${var.p99_latency_seconds} s for 10 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 10
  datapoints_to_alarm = 8
  threshold           = var.p99_latency_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
  dimensions = {
    LoadBalancer = var.load_balancer_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }
}

resource "aws_cloudwatch_metric_alarm" "outbox_backlog" {
  alarm_name          = "${var.name}-outbox-backlog"
  alarm_description   = "Outbox messages are not being relayed: is the worker running, and can it reach Redis?"
  namespace           = var.metrics_namespace
  metric_name         = "OutboxBacklog"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 10
  threshold           = var.outbox_backlog_threshold
  comparison_operator = "GreaterThanThreshold"
  # No data means no worker reports: that is an alarm too.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  alarm_name          = "${var.name}-queue-depth"
  alarm_description   = "Jobs wait in the arq queue faster than the workers handle them, even after scaling out."
  namespace           = var.metrics_namespace
  metric_name         = "QueueDepth"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 10
  threshold           = var.queue_depth_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${var.name}-database-cpu"
  alarm_description   = "The database's CPU stayed above ${var.db_cpu_percent}% for 15 minutes: scale the instance class up (infra/README.md, Scaling)."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.db_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
  dimensions = {
    DBInstanceIdentifier = var.db_instance_identifier
  }
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name          = "${var.name}-database-free-storage"
  alarm_description   = "The database has less than ${floor(var.db_free_storage_bytes / 1073741824)} GiB free: raise max_allocated_storage_gb."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.db_free_storage_bytes
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
  dimensions = {
    DBInstanceIdentifier = var.db_instance_identifier
  }
}

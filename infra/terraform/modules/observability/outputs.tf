output "log_group_names" {
  description = "Log group names by source: api, worker, migrations, redis."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.name }
}

output "log_group_arns" {
  description = "Log group ARNs by source: api, worker, migrations, redis."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.arn }
}

output "alarm_topic_arn" {
  description = "The SNS topic every alarm notifies; subscribe a pager or chat integration to it."
  value       = aws_sns_topic.alarms.arn
}

output "metrics_namespace" {
  description = "Namespace of Renkei's own metrics."
  value       = var.metrics_namespace
}

output "execution_role_arns" {
  description = "Execution role ARN per task family (api, worker, migrations)."
  value       = { for key, role in aws_iam_role.execution : key => role.arn }
}

output "task_role_arns" {
  description = "Task role ARN per task family (api, worker, migrations)."
  value       = { for key, role in aws_iam_role.task : key => role.arn }
}

output "proxy_role_arn" {
  description = "RDS Proxy's role."
  value       = aws_iam_role.proxy.arn
}

output "monitoring_role_arn" {
  description = "RDS Enhanced Monitoring's role."
  value       = aws_iam_role.monitoring.arn
}

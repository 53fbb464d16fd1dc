output "instance_identifier" {
  description = "The RDS instance's identifier (for alarms and point-in-time restores)."
  value       = aws_db_instance.this.identifier
}

output "instance_arn" {
  description = "The RDS instance's ARN."
  value       = aws_db_instance.this.arn
}

output "instance_address" {
  description = "The instance's host name (the owner connects here; the application does not)."
  value       = aws_db_instance.this.address
}

output "proxy_endpoint" {
  description = "RDS Proxy's host name: the application's connections go here."
  value       = aws_db_proxy.this.endpoint
}

output "proxy_name" {
  description = "RDS Proxy's name (for its CloudWatch metrics)."
  value       = aws_db_proxy.this.name
}

output "parameter_group_name" {
  description = "The parameter group, to reuse on an instance restored to a point in time."
  value       = aws_db_parameter_group.this.name
}

output "subnet_group_name" {
  description = "The subnet group, to reuse on an instance restored to a point in time."
  value       = aws_db_subnet_group.this.name
}

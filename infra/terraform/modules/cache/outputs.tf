output "replication_group_id" {
  description = "The replication group's id (for CloudWatch metrics)."
  value       = aws_elasticache_replication_group.this.id
}

output "primary_endpoint" {
  description = "The primary's host name; it follows a failover."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint" {
  description = "The replicas' host name."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "load_balancer_dns_name" {
  description = "Point the public host name (an alias record) here."
  value       = module.renkei.load_balancer_dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer, for the alias record."
  value       = module.renkei.load_balancer_zone_id
}

output "repository_url" {
  description = "Push release images here."
  value       = module.renkei.repository_url
}

output "cluster_name" {
  description = "The ECS cluster."
  value       = module.renkei.cluster_name
}

output "api_service" {
  description = "The API's ECS service."
  value       = module.renkei.api_service
}

output "worker_service" {
  description = "The worker's ECS service."
  value       = module.renkei.worker_service
}

output "run_migrate_command" {
  description = "Starts the migrations task and prints its ARN."
  value       = module.renkei.run_migrate_command
}

output "task_network_configuration" {
  description = "--network-configuration of `aws ecs run-task` for the one-off tasks."
  value       = module.renkei.task_network_configuration
}

output "secret_names" {
  description = "Secrets Manager names by key."
  value       = module.renkei.secret_names
}

output "database_instance" {
  description = "The RDS instance's identifier."
  value       = module.renkei.database_instance
}

output "database_parameter_group" {
  description = "Parameter group for an instance restored to a point in time."
  value       = module.renkei.database_parameter_group
}

output "database_subnet_group" {
  description = "Subnet group for an instance restored to a point in time."
  value       = module.renkei.database_subnet_group
}

output "database_security_group_id" {
  description = "Security group for an instance restored to a point in time."
  value       = module.renkei.database_security_group_id
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm."
  value       = module.renkei.alarm_topic_arn
}

output "nat_public_ips" {
  description = "Addresses Renkei's outbound requests come from."
  value       = module.renkei.nat_public_ips
}

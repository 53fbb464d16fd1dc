output "load_balancer_dns_name" {
  description = "Point the public host name (an alias record) here."
  value       = module.alb.dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer, for the alias record."
  value       = module.alb.zone_id
}

output "repository_url" {
  description = "Push release images here."
  value       = module.cluster.repository_url
}

output "cluster_name" {
  description = "The ECS cluster."
  value       = module.cluster.cluster_name
}

output "api_service" {
  description = "The API's ECS service."
  value       = module.api.service_name
}

output "worker_service" {
  description = "The worker's ECS service."
  value       = module.worker.service_name
}

output "run_migrate_command" {
  description = "Starts the migrations task and prints its ARN."
  value       = module.migrations.run_migrate_command
}

output "task_network_configuration" {
  description = "--network-configuration of `aws ecs run-task` for the one-off tasks."
  value       = module.migrations.network_configuration
}

output "secret_names" {
  description = "Secrets Manager names by key (put the operator's keys into signing_keys, secret_keys, cookie_secret)."
  value       = module.secrets.secret_names
}

output "database_instance" {
  description = "The RDS instance's identifier (for point-in-time restores)."
  value       = module.database.instance_identifier
}

output "database_proxy_endpoint" {
  description = "RDS Proxy's host name (the application's connections)."
  value       = module.database.proxy_endpoint
}

output "database_parameter_group" {
  description = "Parameter group to give an instance restored to a point in time."
  value       = module.database.parameter_group_name
}

output "database_subnet_group" {
  description = "Subnet group to give an instance restored to a point in time."
  value       = module.database.subnet_group_name
}

output "database_security_group_id" {
  description = "Security group to give an instance restored to a point in time."
  value       = module.network.security_group_ids.database
}

output "alarm_topic_arn" {
  description = "SNS topic of every alarm."
  value       = module.observability.alarm_topic_arn
}

output "nat_public_ips" {
  description = "Addresses Renkei's outbound requests come from (for the organizations' OpenID providers' allow-lists)."
  value       = module.network.nat_public_ips
}

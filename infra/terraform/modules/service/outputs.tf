output "service_name" {
  description = "The ECS service's name."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "The task definition revision the service runs."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "The container's name in the task definition (api or worker)."
  value       = local.container
}

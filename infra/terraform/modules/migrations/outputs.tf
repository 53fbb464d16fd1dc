output "migrate_task_definition_arn" {
  description = "The migrate task definition (its latest revision)."
  value       = aws_ecs_task_definition.migrate.arn
}

output "bootstrap_role_task_definition_arn" {
  description = "The bootstrap-role task definition."
  value       = aws_ecs_task_definition.bootstrap_role.arn
}

output "network_configuration" {
  description = "The --network-configuration argument of `aws ecs run-task` for these tasks."
  value       = local.network_configuration
}

output "run_migrate_command" {
  description = "The command that starts the migrations task and prints its ARN (then wait for it and check its exit code, infra/README.md)."
  value       = "aws ecs run-task --cluster ${var.cluster_name} --launch-type FARGATE --task-definition ${aws_ecs_task_definition.migrate.family} --network-configuration '${local.network_configuration}' --query 'tasks[0].taskArn' --output text"
}

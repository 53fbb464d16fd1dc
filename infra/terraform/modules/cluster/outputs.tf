output "cluster_arn" {
  description = "The ECS cluster's ARN."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "The ECS cluster's name."
  value       = aws_ecs_cluster.this.name
}

output "repository_url" {
  description = "The image repository's URL: docker push <url>:<tag>."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "The image repository's ARN."
  value       = aws_ecr_repository.this.arn
}

output "dns_name" {
  description = "The load balancer's DNS name: point the public host name at it (an alias record)."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "The load balancer's hosted zone, for a Route 53 alias record."
  value       = aws_lb.this.zone_id
}

output "arn_suffix" {
  description = "The load balancer's ARN suffix (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn" {
  description = "The API target group."
  value       = aws_lb_target_group.api.arn
}

output "target_group_arn_suffix" {
  description = "The API target group's ARN suffix (CloudWatch dimension TargetGroup)."
  value       = aws_lb_target_group.api.arn_suffix
}

output "https_listener_arn" {
  description = "The HTTPS listener (the API service depends on it)."
  value       = aws_lb_listener.https.arn
}

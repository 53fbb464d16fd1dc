output "vpc_id" {
  description = "The VPC's id."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Subnets of the load balancer, one per zone."
  value       = aws_subnet.public[*].id
}

output "app_subnet_ids" {
  description = "Private subnets of the ECS tasks, one per zone."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "Private subnets without internet route for RDS, RDS Proxy and ElastiCache."
  value       = aws_subnet.data[*].id
}

output "security_group_ids" {
  description = "Security group ids by tier: alb, api, worker, migrations, proxy, database, cache."
  value = {
    alb        = aws_security_group.alb.id
    api        = aws_security_group.api.id
    worker     = aws_security_group.worker.id
    migrations = aws_security_group.migrations.id
    proxy      = aws_security_group.proxy.id
    database   = aws_security_group.database.id
    cache      = aws_security_group.cache.id
  }
}

output "nat_public_ips" {
  description = "The NAT gateways' addresses: what the organizations' OpenID providers see (for allow-lists)."
  value       = aws_eip.nat[*].public_ip
}

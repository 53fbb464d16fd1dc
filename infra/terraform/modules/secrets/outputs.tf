output "kms_key_arn" {
  description = "The environment's customer managed KMS key."
  value       = aws_kms_key.this.arn
}

output "secret_arns" {
  description = "Secret ARNs by name: database_owner, database_app, redis, signing_keys, secret_keys, cookie_secret, platform_oidc, smtp."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.arn }
}

output "secret_names" {
  description = "Secret names by the same keys, for `aws secretsmanager put-secret-value --secret-id`."
  value       = { for key, secret in aws_secretsmanager_secret.this : key => secret.name }
}

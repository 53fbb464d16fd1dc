variable "environment" {
  description = "The environment's name, staging or production; resources are named renkei-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,13}$", var.environment))
    error_message = "Use 2 to 14 lowercase letters, digits or hyphens (names such as renkei-<environment>-api must stay short)."
  }
}

variable "availability_zones" {
  description = "Two or three availability zones of the region."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "The VPC's IPv4 range (/16)."
  type        = string
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones instead of one per zone (cheaper, less available)."
  type        = bool
  default     = false
}

variable "certificate_arn" {
  description = "ACM certificate of the public host name, in the primary region."
  type        = string
}

variable "public_url" {
  description = "Where clients reach Renkei, e.g. https://api.renkei.example.jp (RENKEI_PUBLIC_URL and the tokens' issuer)."
  type        = string
}

variable "image_tag" {
  description = "The release the API and the worker run (a tag in the environment's repository)."
  type        = string
}

variable "migrations_image_tag" {
  description = "The release whose migrations the migrate task runs; null means image_tag. Set it to the next release first (infra/README.md, Deploying a new version)."
  type        = string
  default     = null
}

variable "token_ttl_seconds" {
  description = "Lifetime of issued access tokens (RENKEI_TOKEN_TTL_SECONDS); signing-key rotation waits this long."
  type        = number
  default     = 3600
}

variable "log_level" {
  description = "RENKEI_LOG_LEVEL of every container."
  type        = string
  default     = "INFO"
}

variable "mail_from" {
  description = "RENKEI_MAIL_FROM: the From of every email, e.g. Renkei <no-reply@renkei.example.jp>; its domain must be an identity verified in Amazon SES (DKIM), whose SMTP credentials are in the smtp secret."
  type        = string
}

variable "platform_oidc" {
  description = "The operator's OpenID provider for individual professionals (issuer, client_id); its client secret goes into the platform-oidc secret. Null: none."
  type = object({
    issuer    = string
    client_id = string
  })
  default = null
}

variable "api" {
  description = "API service size: task cpu units and memory MiB, task count bounds, and autoscaling targets (CPU percent, ALB requests per task per minute)."
  type = object({
    cpu                  = number
    memory               = number
    min_count            = number
    max_count            = number
    cpu_target_percent   = number
    request_count_target = number
  })
}

variable "worker" {
  description = "Worker service size: task cpu units and memory MiB, task count bounds, CPU target, and the queue depths that add one or three tasks."
  type = object({
    cpu                = number
    memory             = number
    min_count          = number
    max_count          = number
    cpu_target_percent = number
    queue_scale_out_at = number
    queue_scale_big_at = number
  })
}

variable "database" {
  description = "RDS settings: instance class, storage GiB (initial and ceiling), Multi-AZ, backup days, max_connections."
  type = object({
    instance_class        = string
    allocated_storage_gb  = number
    max_storage_gb        = number
    multi_az              = bool
    backup_retention_days = number
    max_connections       = number
  })
}

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer from deletion."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 365
}

variable "alarm_emails" {
  description = "Addresses that receive the alarms."
  type        = list(string)
  default     = []
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of Renkei's own metrics; use one AWS account per environment, or give each its own namespace."
  type        = string
  default     = "Renkei"
}

variable "dr_region" {
  description = "A second region for disaster recovery (backups and secrets replicated there), e.g. ap-northeast-3; null for none. The aws.dr provider must point there."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

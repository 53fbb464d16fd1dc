variable "name" {
  description = "Prefix of every resource's name, e.g. renkei-production."
  type        = string
}

variable "subnet_ids" {
  description = "The data subnets (no internet route), in two or three zones."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the replication group (Redis from the API and the worker)."
  type        = string
}

variable "kms_key_arn" {
  description = "The customer managed KMS key for encryption at rest and the slow log."
  type        = string
}

variable "secret_arn" {
  description = "Secret that receives the Redis connection (JSON auth_token, url)."
  type        = string
}

variable "node_type" {
  description = "Node type, e.g. cache.m7g.large; arq's queue and results are small, memory is rarely the limit."
  type        = string
  default     = "cache.t4g.medium"
}

variable "replicas" {
  description = "Read replicas beside the primary (at least 1: automatic failover needs one)."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas >= 1 && var.replicas <= 5
    error_message = "Automatic failover needs 1 to 5 replicas."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots (the queue can also be rebuilt from the outbox)."
  type        = number
  default     = 7
}

variable "log_group_name" {
  description = "CloudWatch log group that receives the slow log."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}
